package web_test

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/feeds/web"
	"github.com/feedloom/feedloom/storage"
)

// popularTags returns the names in the index's "Popular tags" list.
func popularTags(t *testing.T, page string) []string {
	t.Helper()
	_, list, ok := strings.Cut(page, `aria-label="Popular tags">`)
	if !ok {
		return nil
	}
	list, _, _ = strings.Cut(list, "</ul>")
	var names []string
	for _, m := range regexp.MustCompile(`rel="tag">([^<]*)<span`).FindAllStringSubmatch(list, -1) {
		names = append(names, m[1])
	}
	return names
}

// TestIndexPopularTags: the index's popular tags are tags that several
// sources' articles carry, never stop words, however often one source
// uses its own (issue 19).
func TestIndexPopularTags(t *testing.T) {
	f := newFixture(t)
	var podcast []feeds.Article
	for i := range 12 {
		a := art("ep-"+string(rune('a'+i)), "Episode "+string(rune('A'+i)), t0.Add(-time.Duration(10+i)*time.Hour),
			"podcast", "interview", "и", "для", "the", "x", "world")
		podcast = append(podcast, a)
	}
	f.ingest("alpha", podcast...)
	b := art("beta-1", "Talks on Iraq's oil", t0.Add(-5*time.Hour), "iraq", "world", "и", "для", "the", "x")
	b.Link = "https://beta.example/1"
	f.ingest("beta", b)
	got := popularTags(t, f.get(t, "/", 200).text(t))
	want := map[string]bool{"world": true, "iraq": true}
	for _, g := range got {
		if !want[g] {
			t.Errorf("popular tag %q: one source's tag or a stop word (all: %q)", g, got)
		}
		delete(want, g)
	}
	for w := range want {
		t.Errorf("popular tags lack %q, carried by both sources (all: %q)", w, got)
	}
}

// TestIndexWhenFetchesFail: an index without articles says that every
// fetch failed, with a link to /sources, as soon as they have failed, even
// when it was shown (and cached) before the fetches.
func TestIndexWhenFetchesFail(t *testing.T) {
	ctx := context.Background()
	db, err := storage.Open(ctx, filepath.Join(t.TempDir(), "feedloom.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	set := testSettings()
	if err := db.SyncSources(ctx, set.Sources); err != nil {
		t.Fatal(err)
	}
	h, err := web.New(web.Options{Store: db}, set)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	f := &fixture{t: t, srv: srv, client: srv.Client()}

	if page := f.get(t, "/", 200).text(t); !strings.Contains(page, "Nothing yet") {
		t.Fatalf("index before any fetch:\n%s", page)
	}
	for _, s := range set.Sources {
		st := feeds.SourceState{Name: s.Name, URL: s.URL, LastFetch: t0, LastStatus: 404, Failures: 1,
			LastError: "fetch " + s.URL + ": HTTP 404 Not Found", NextAttempt: t0.Add(time.Minute)}
		if err := db.SaveFetchState(ctx, st); err != nil {
			t.Fatal(err)
		}
	}
	page := f.get(t, "/", 200).text(t)
	for _, want := range []string{"Every fetch has failed so far", `href="/sources"`} {
		if !strings.Contains(page, want) {
			t.Errorf("index after failed fetches lacks %q:\n%s", want, page)
		}
	}
	if strings.Contains(page, "Nothing yet") {
		t.Errorf("index still says nothing was fetched:\n%s", page)
	}
	sources := f.get(t, "/sources", 200).text(t)
	if n := strings.Count(sources, "https://alpha.example/rss.xml"); n != 2 { // the link and its text, not the error
		t.Errorf("/sources shows alpha's URL %d times, want 2 (not again in the error):\n%s", n, sources)
	}
	if !strings.Contains(sources, `data-label="Error">HTTP 404 Not Found</td>`) {
		t.Errorf("/sources error cell:\n%s", sources)
	}
}

// TestArticleLanguage: pages say the language of the article's feed in
// lang and let the browser find each text's direction (issue 19).
func TestArticleLanguage(t *testing.T) {
	f := newFixture(t)
	a := art("ur-1", "کراچی میں بارش", t0.Add(-30*time.Minute), "world")
	a.Link = "https://beta.example/ur-1"
	st := feeds.SourceState{Name: "beta", URL: "https://beta.example/feed.atom", LastFetch: t0, LastSuccess: t0, LastStatus: 200, Language: "ur"}
	if _, err := f.db.Ingest(context.Background(), "beta", st, []feeds.Article{a}, t0); err != nil {
		t.Fatal(err)
	}
	all, err := f.db.Articles(context.Background(), feeds.Filter{Limit: 10})
	if err != nil || len(all) == 0 || all[0].Title != a.Title {
		t.Fatalf("articles: %v %v", all, err)
	}
	id := all[0].ID
	cases := []struct {
		path string
		want []string
	}{
		{articlePath(id), []string{`<html lang="ur">`, `<h1 dir="auto">`, `<div class="body" dir="auto">`}},
		{articlePath(f.ids["syria-1"]), []string{`<html lang="en">`}},
		{"/", []string{`<html lang="en">`, `<h3 dir="auto" lang="ur">`, `<p dir="auto" lang="ur">`, `<h3 dir="auto">`}},
		{"/tags/world", []string{`<h3 dir="auto" lang="ur">`}},
	}
	for _, tc := range cases {
		page := f.get(t, tc.path, 200).text(t)
		for _, w := range tc.want {
			if !strings.Contains(page, w) {
				t.Errorf("%s lacks %s", tc.path, w)
			}
		}
	}
}
