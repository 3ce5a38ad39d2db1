package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/feeds/web"
)

// TestConcurrentPolls: 64 clients poll one feed at once; the feed is
// rendered once (one query), every answer is the same document.
func TestConcurrentPolls(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	const clients, polls = 64, 20
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	etags := make(chan string, clients*polls)
	start := make(chan struct{})
	for range clients {
		wg.Go(func() {
			<-start
			for range polls {
				req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, f.srv.URL+"/feeds/middle-east.atom", nil)
				req.Header.Set("Accept-Encoding", "gzip")
				resp, err := f.client.Do(req)
				if err != nil {
					errs <- err
					return
				}
				_ = resp.Body.Close()
				if resp.StatusCode != 200 {
					errs <- fmt.Errorf("status %d", resp.StatusCode)
					return
				}
				etags <- resp.Header.Get("ETag")
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	close(etags)
	for err := range errs {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for e := range etags {
		seen[e] = true
	}
	if len(seen) != 1 {
		t.Errorf("%d different ETags for one unchanged feed", len(seen))
	}
	if n := f.store.articles.Load(); n != 1 {
		t.Errorf("%d renders for %d concurrent polls, want 1", n, clients*polls)
	}
}

// TestCacheBound: the document cache keeps at most CacheEntries documents,
// dropping the least recently used; a dropped document is rendered again.
func TestCacheBound(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	h, err := web.New(web.Options{Store: f.store, CacheEntries: 8}, testSettings())
	if err != nil {
		t.Fatal(err)
	}
	paths := []string{
		"/feeds/all.atom", "/feeds/all.rss", "/feeds/all.json",
		"/feeds/middle-east.atom", "/feeds/middle-east.rss", "/feeds/middle-east.json",
		"/feeds/sport.atom", "/feeds/sport.rss", "/feeds/sport.json",
	}
	serve := func(p string) (queried bool) {
		before := f.store.articles.Load()
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, p, nil))
		if w.Code != 200 {
			t.Fatalf("GET %s = %d", p, w.Code)
		}
		return f.store.articles.Load() != before
	}
	for _, p := range paths[:8] {
		serve(p)
	}
	for _, p := range paths[:8] {
		if serve(p) {
			t.Errorf("%s re-rendered while the cache had room", p)
		}
	}
	serve(paths[8]) // the ninth document: the two least recently used go
	for _, tt := range []struct {
		path     string
		rendered bool
	}{{paths[8], false}, {paths[7], false}, {paths[2], false}, {paths[0], true}} {
		if got := serve(tt.path); got != tt.rendered {
			t.Errorf("%s rendered = %v, want %v", tt.path, got, tt.rendered)
		}
	}
}

// TestFetchStateKeepsFeeds: a fetch that stores only fetch state (a 304)
// leaves every rendered feed valid — no query, same ETag — while the
// source health documents, which show that state, are rendered again.
func TestFetchStateKeepsFeeds(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	feed := f.get(t, "/feeds/middle-east.atom", 200)
	f.get(t, "/sources.json", 200)
	rendered := f.store.articles.Load()

	st := feeds.SourceState{Name: "alpha", URL: "https://alpha.example/feed", LastFetch: t0.Add(time.Hour),
		LastSuccess: t0.Add(time.Hour), LastStatus: 304, ItemCount: 4}
	if err := f.db.SaveFetchState(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	again := f.get(t, "/feeds/middle-east.atom", 200)
	if n := f.store.articles.Load(); n != rendered {
		t.Errorf("the feed was rendered again (%d queries) after a fetch-state write", n-rendered)
	}
	if e1, e2 := feed.header.Get("ETag"), again.header.Get("ETag"); e1 != e2 {
		t.Errorf("ETag %s -> %s after a fetch-state write", e1, e2)
	}
	if body := f.get(t, "/sources.json", 200).text(t); !strings.Contains(body, "304") {
		t.Errorf("/sources.json does not show the new fetch state: %.400s", body)
	}
}

// TestAnswersFromCache: a GET or HEAD of a cached, valid document is
// answered before routing, and that answer — 200, gzip, HEAD, 304 on either
// validator — is the one routing gives: same status, headers and body. The
// routed twin of each path spells one character percent-encoded, which the
// mux decodes to the same document but the cache lookup leaves to it.
func TestAnswersFromCache(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	id := fmt.Sprint(f.ids["syria-1"])
	docs := []struct{ path, routed string }{
		{"/feeds/all.atom", "/feeds/all%2Eatom"},
		{"/feeds/middle-east.json", "/feeds/middle-east%2Ejson"},
		{"/tags/syria.rss", "/tags/syri%61.rss"},
		{"/tags/syria", "/tags/syri%61"},
		{"/articles/" + id, fmt.Sprintf("/articles/%%%X%s", id[0], id[1:])},
		{"/sources.json", "/sources%2Ejson"},
		{"/sources", "/source%73"},
		{"/opml", "/opm%6C"},
	}
	fromCache := func(path string) bool {
		return f.h.AnswersFromCache(httptest.NewRequest(http.MethodGet, path, nil))
	}
	for _, d := range docs {
		t.Run(d.path, func(t *testing.T) {
			if fromCache(d.path) {
				t.Fatalf("answered from the cache before it was rendered")
			}
			first := f.get(t, d.path, 200)
			if !fromCache(d.path) || fromCache(d.routed) {
				t.Fatalf("from the cache: %s %v, %s %v; want true, false", d.path, fromCache(d.path), d.routed, fromCache(d.routed))
			}
			if h := f.h.AnswersFromCache(httptest.NewRequest(http.MethodPost, d.path, nil)); h {
				t.Errorf("a POST was answered from the cache")
			}
			gz := f.get(t, d.path, 200, "Accept-Encoding", "gzip")
			for _, c := range []struct {
				name    string
				method  string
				headers []string
			}{
				{"get", http.MethodGet, nil},
				{"gzip", http.MethodGet, []string{"Accept-Encoding", "gzip"}},
				{"head", http.MethodHead, nil},
				{"if-none-match", http.MethodGet, []string{"If-None-Match", first.header.Get("ETag")}},
				{"if-none-match gzip", http.MethodGet, []string{"Accept-Encoding", "gzip", "If-None-Match", gz.header.Get("ETag")}},
				{"if-modified-since", http.MethodGet, []string{"If-Modified-Since", first.header.Get("Last-Modified")}},
				{"stale etag", http.MethodGet, []string{"If-None-Match", `"stale"`}},
			} {
				fast := f.do(t, c.method, d.path, c.headers...)
				routed := f.do(t, c.method, d.routed, c.headers...)
				if fast.code != routed.code || string(fast.body) != string(routed.body) {
					t.Errorf("%s: from the cache %d with %d bytes, routed %d with %d bytes",
						c.name, fast.code, len(fast.body), routed.code, len(routed.body))
				}
				fast.header.Del("Date")
				routed.header.Del("Date")
				if fmt.Sprint(fast.header) != fmt.Sprint(routed.header) {
					t.Errorf("%s: headers differ\nfrom the cache %v\nrouted         %v", c.name, fast.header, routed.header)
				}
			}
		})
	}
	t.Run("invalidated", func(t *testing.T) {
		f.get(t, "/feeds/all.rss", 200)
		if err := f.h.Apply(testSettings()); err != nil {
			t.Fatal(err)
		}
		if fromCache("/feeds/all.rss") {
			t.Errorf("answered from the cache after new settings")
		}
		f.get(t, "/feeds/all.rss", 200)
		f.ingest("beta", art("sport-3", "Cup final tonight", t0.Add(-5*time.Minute), "sport"))
		if fromCache("/feeds/all.rss") {
			t.Errorf("answered from the cache after new data")
		}
	})
}

// TestCachedAnswerAllocs: answering a poll of a cached feed, 200 or 304,
// allocates nothing in the handler (net/http's own costs are not counted).
// Not parallel: AllocsPerRun counts the whole process's allocations.
func TestCachedAnswerAllocs(t *testing.T) {
	f := newFixture(t)
	etag := f.get(t, "/feeds/all.atom", 200).header.Get("ETag")
	for _, c := range []struct {
		name    string
		headers []string
		code    int
	}{
		{"200", nil, 200},
		{"200 gzip", []string{"Accept-Encoding", "gzip"}, 200},
		{"304", []string{"If-None-Match", etag}, 304},
		{"304 if-modified-since", []string{"If-Modified-Since", t0.Format(http.TimeFormat)}, 304},
	} {
		req := httptest.NewRequest(http.MethodGet, "/feeds/all.atom", nil)
		for i := 0; i+1 < len(c.headers); i += 2 {
			req.Header.Set(c.headers[i], c.headers[i+1])
		}
		w := &discardWriter{h: http.Header{}}
		allocs := testing.AllocsPerRun(100, func() {
			w.reset()
			f.h.ServeHTTP(w, req)
		})
		if w.code != c.code {
			t.Errorf("%s: status %d, want %d", c.name, w.code, c.code)
		}
		if allocs != 0 {
			t.Errorf("%s: %.1f allocations per answer, want 0", c.name, allocs)
		}
	}
}
