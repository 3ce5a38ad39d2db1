package web_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/feeds/web"
	"github.com/feedloom/feedloom/storage"
)

// archiveFixture is a store in t.TempDir() with enough articles for a few
// archive pages, and a handler over it, called without a server.
type archiveFixture struct {
	t    *testing.T
	path string
	db   *storage.DB
	h    *web.Handler
	next int // the number of the next article to ingest
}

const archiveBase = "https://news.example.org/"

func newArchiveFixture(t *testing.T, articles int) *archiveFixture {
	t.Helper()
	a := &archiveFixture{t: t, path: filepath.Join(t.TempDir(), "feedloom.db")}
	a.open()
	t.Cleanup(func() { _ = a.db.Close() }) // closed already after a reopen
	if err := a.db.SyncSources(context.Background(), testSources()); err != nil {
		t.Fatal(err)
	}
	a.add(articles)
	return a
}

// open opens the store and a handler over it.
func (a *archiveFixture) open() {
	a.t.Helper()
	db, err := storage.Open(context.Background(), a.path)
	if err != nil {
		a.t.Fatal(err)
	}
	h, err := web.New(web.Options{Store: db}, testSettings())
	if err != nil {
		a.t.Fatal(err)
	}
	a.db, a.h = db, h
}

// reopen closes the store and opens it again with a new handler: what a
// restart does.
func (a *archiveFixture) reopen() {
	a.t.Helper()
	if err := a.db.Close(); err != nil {
		a.t.Fatal(err)
	}
	a.open()
}

// add ingests n articles, every third published a week before the others
// (dates arrive out of order), all tagged syria, every other one iraq and
// every fifth sport.
func (a *archiveFixture) add(n int) {
	a.t.Helper()
	arts := make([]feeds.Article, 0, n)
	for i := a.next; i < a.next+n; i++ {
		pub := t0.Add(time.Duration(i) * time.Minute)
		if i%3 == 0 {
			pub = pub.Add(-7 * 24 * time.Hour)
		}
		tags := []string{"syria"}
		if i%2 == 0 {
			tags = append(tags, "iraq")
		}
		if i%5 == 0 {
			tags = append(tags, "sport")
		}
		arts = append(arts, art(fmt.Sprintf("story-%d", i), fmt.Sprintf("Story number %d", i), pub, tags...))
	}
	a.next += n
	st := feeds.SourceState{Name: "alpha", URL: "https://alpha.example/rss.xml", LastFetch: t0, LastSuccess: t0, LastStatus: 200}
	if _, err := a.db.Ingest(context.Background(), "alpha", st, arts, t0); err != nil {
		a.t.Fatal(err)
	}
}

// get answers a GET of path (and request headers as name, value pairs).
func (a *archiveFixture) get(path string, header ...string) *httptest.ResponseRecorder {
	a.t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	a.h.ServeHTTP(rec, req)
	return rec
}

// mustGet is get that requires a 200.
func (a *archiveFixture) mustGet(path string) *httptest.ResponseRecorder {
	a.t.Helper()
	rec := a.get(path)
	if rec.Code != http.StatusOK {
		a.t.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body)
	}
	return rec
}

// histDoc is what the tests read from a feed document of any format.
type histDoc struct {
	ids     []int64           // entries' article ids
	links   map[string]string // RFC 5005 links by rel, as request paths
	archive bool              // fh:archive
}

// atomLink is an Atom link, in Atom or as RSS's atom:link.
type atomLink struct {
	Rel  string `xml:"rel,attr"`
	Href string `xml:"href,attr"`
}

// parseHist reads a document of format ext.
func parseHist(t *testing.T, ext string, body []byte) histDoc {
	t.Helper()
	d := histDoc{links: map[string]string{}}
	var ids []string
	var links []atomLink
	switch ext {
	case "atom":
		var x struct {
			Links   []atomLink `xml:"http://www.w3.org/2005/Atom link"`
			Archive *struct{}  `xml:"http://purl.org/syndication/history/1.0 archive"`
			Entries []struct {
				ID string `xml:"id"`
			} `xml:"entry"`
		}
		if err := xml.Unmarshal(body, &x); err != nil {
			t.Fatalf("atom: %v", err)
		}
		for _, e := range x.Entries {
			ids = append(ids, e.ID)
		}
		links, d.archive = x.Links, x.Archive != nil
	case "rss":
		var x struct {
			Channel struct {
				Links   []atomLink `xml:"http://www.w3.org/2005/Atom link"`
				Archive *struct{}  `xml:"http://purl.org/syndication/history/1.0 archive"`
				Items   []struct {
					GUID string `xml:"guid"`
				} `xml:"item"`
			} `xml:"channel"`
		}
		if err := xml.Unmarshal(body, &x); err != nil {
			t.Fatalf("rss: %v", err)
		}
		for _, e := range x.Channel.Items {
			ids = append(ids, e.GUID)
		}
		links, d.archive = x.Channel.Links, x.Channel.Archive != nil
	case "json":
		var x struct {
			NextURL string `json:"next_url"`
			Items   []struct {
				ID string `json:"id"`
			} `json:"items"`
		}
		if err := json.Unmarshal(body, &x); err != nil {
			t.Fatalf("json: %v", err)
		}
		for _, e := range x.Items {
			ids = append(ids, e.ID)
		}
		if x.NextURL != "" {
			links = append(links, atomLink{Rel: "prev-archive", Href: x.NextURL})
		}
	}
	for _, id := range ids {
		n, err := strconv.ParseInt(strings.TrimPrefix(id, archiveBase+"articles/"), 10, 64)
		if err != nil {
			t.Fatalf("entry id %q: %v", id, err)
		}
		d.ids = append(d.ids, n)
	}
	for _, l := range links {
		switch l.Rel {
		case "current", "prev-archive", "next-archive":
			if !strings.HasPrefix(l.Href, archiveBase) {
				t.Fatalf("%s link %q is not under the base URL", l.Rel, l.Href)
			}
			d.links[l.Rel] = "/" + strings.TrimPrefix(l.Href, archiveBase)
		}
	}
	return d
}

// walk follows prev-archive from the current document at path.ext to its
// end and returns the pages' paths, newest first, and their entries.
func (a *archiveFixture) walk(path, ext string) ([]string, []int64) {
	a.t.Helper()
	cur := parseHist(a.t, ext, a.mustGet(path+"."+ext).Body.Bytes())
	var pages []string
	var ids []int64
	for next := cur.links["prev-archive"]; next != ""; {
		if len(pages) > 100 {
			a.t.Fatalf("%s: the chain does not end", path)
		}
		d := parseHist(a.t, ext, a.mustGet(next).Body.Bytes())
		if ext != "json" && d.links["current"] != path+"."+ext {
			a.t.Errorf("%s links current %q, want %q", next, d.links["current"], path+"."+ext)
		}
		if ext != "json" && len(pages) > 0 && d.links["next-archive"] != pages[len(pages)-1] {
			a.t.Errorf("%s links next-archive %q, want %q", next, d.links["next-archive"], pages[len(pages)-1])
		}
		pages = append(pages, next)
		ids = append(ids, d.ids...)
		next = d.links["prev-archive"]
	}
	return pages, ids
}

// archivedFeeds are the feeds the tests walk: all, an output and a tag,
// with the filters that select their articles.
var archivedFeeds = []struct {
	path   string
	filter feeds.Filter
}{
	{"/feeds/all", feeds.Filter{}},
	{"/feeds/middle-east", feeds.Filter{TagsAny: []string{"syria", "iraq"}, TagsNone: []string{"sport"}}},
	{"/tags/iraq", feeds.Filter{TagsAll: []string{"iraq"}}},
}

// TestArchiveChain: from every current document, in every format, the
// prev-archive chain reaches the oldest article, holds every article of
// the feed exactly once, and ends at page 1; only sealed pages are marked
// fh:archive.
func TestArchiveChain(t *testing.T) {
	a := newArchiveFixture(t, 2*web.ArchivePageSize+30)
	for _, feed := range archivedFeeds {
		arts, err := a.db.Articles(context.Background(), feeds.Filter{TagsAny: feed.filter.TagsAny,
			TagsAll: feed.filter.TagsAll, TagsNone: feed.filter.TagsNone, Limit: 1 << 20})
		if err != nil {
			t.Fatal(err)
		}
		want := make([]int64, len(arts))
		for i, art := range arts {
			want[i] = art.ID
		}
		slices.Sort(want)
		for _, ext := range []string{"atom", "rss", "json"} {
			t.Run(strings.TrimPrefix(feed.path, "/")+"."+ext, func(t *testing.T) {
				pages, ids := a.walk(feed.path, ext)
				if len(pages) == 0 || pages[len(pages)-1] != feed.path+"/archive/1."+ext {
					t.Fatalf("chain %v does not end at page 1", pages)
				}
				slices.Sort(ids)
				if !slices.Equal(ids, want) {
					t.Fatalf("chain holds %d entries %v, the feed %d %v", len(ids), ids, len(want), want)
				}
				for i, p := range pages {
					d := parseHist(t, ext, a.mustGet(p).Body.Bytes())
					if sealed := i > 0; ext != "json" && d.archive != sealed { // pages[0] is the open page
						t.Errorf("%s: fh:archive %v, want %v", p, d.archive, sealed)
					}
				}
			})
		}
	}
}

// sealedPages is every sealed archive page of a feed in every format, by
// path, with its body and ETag.
func (a *archiveFixture) sealedPages(path string) map[string][2]string {
	a.t.Helper()
	out := map[string][2]string{}
	pages, _ := a.walk(path, "atom")
	for _, p := range pages {
		if !parseHist(a.t, "atom", a.mustGet(p).Body.Bytes()).archive {
			continue
		}
		for _, ext := range []string{"atom", "rss", "json"} {
			q := strings.TrimSuffix(p, ".atom") + "." + ext
			rec := a.mustGet(q)
			out[q] = [2]string{rec.Body.String(), rec.Header().Get("ETag")}
		}
	}
	return out
}

// TestArchiveStable: sealed pages keep their URL, bytes and ETag when new
// articles arrive (a third of them dated a week before the others) and
// across a restart; the open page fills into the next sealed page.
func TestArchiveStable(t *testing.T) {
	a := newArchiveFixture(t, 2*web.ArchivePageSize+30)
	before := map[string]map[string][2]string{}
	for _, feed := range archivedFeeds {
		if before[feed.path] = a.sealedPages(feed.path); len(before[feed.path]) == 0 {
			t.Fatalf("%s: no sealed page", feed.path)
		}
	}
	check := func(when string) {
		t.Helper()
		for _, feed := range archivedFeeds {
			after := a.sealedPages(feed.path)
			for p, was := range before[feed.path] {
				if after[p] != was {
					t.Errorf("%s changed %s", p, when)
				}
			}
		}
	}
	a.add(web.ArchivePageSize)
	check("after new articles arrived")
	if n := len(a.sealedPages("/feeds/all")); n != 3*3 {
		t.Errorf("/feeds/all has %d sealed documents after the open page filled, want 9", n)
	}
	a.reopen()
	check("after a restart")
}

// TestArchiveCaching: full sealed pages are immutable; the open page, the
// current documents and a sealed page that retention shrank are not; all
// answer conditional GETs.
func TestArchiveCaching(t *testing.T) {
	a := newArchiveFixture(t, 2*web.ArchivePageSize+30)
	const immutable = "public, max-age=31536000, immutable"
	for _, c := range []struct {
		path      string
		immutable bool
	}{
		{"/feeds/all/archive/1.atom", true},
		{"/feeds/all/archive/2.rss", true},
		{"/feeds/all/archive/2.json", true},
		{"/feeds/all/archive/3.atom", false}, // open
		{"/feeds/all.atom", false},
		{"/tags/iraq/archive/1.json", true},
		{"/tags/iraq/archive/2.atom", false}, // open: 65 iraq articles
	} {
		rec := a.mustGet(c.path)
		if got := rec.Header().Get("Cache-Control"); (got == immutable) != c.immutable {
			t.Errorf("%s: Cache-Control %q, immutable want %v", c.path, got, c.immutable)
		}
		etag := rec.Header().Get("ETag")
		if etag == "" {
			t.Fatalf("%s: no ETag", c.path)
		}
		if again := a.get(c.path, "If-None-Match", etag); again.Code != http.StatusNotModified {
			t.Errorf("%s with its ETag: %d, want 304", c.path, again.Code)
		}
	}
	// Retention takes the first 55 articles (by publication): page 1 and
	// five of page 2, and the backdated ones of page 3.
	if _, err := a.db.Prune(context.Background(), time.Hour, 0, t0.Add(55*time.Minute+time.Hour), 0); err != nil {
		t.Fatal(err)
	}
	if rec := a.get("/feeds/all/archive/1.atom"); rec.Code != http.StatusGone {
		t.Errorf("page 1 after retention: %d, want 410", rec.Code)
	}
	rec := a.mustGet("/feeds/all/archive/2.atom")
	if cc := rec.Header().Get("Cache-Control"); cc == immutable {
		t.Errorf("page 2 shrank by retention but is still immutable")
	}
	if d := parseHist(t, "atom", rec.Body.Bytes()); len(d.ids) == 0 || len(d.ids) >= web.ArchivePageSize {
		t.Errorf("page 2 after retention holds %d", len(d.ids))
	}
}

// TestArchiveNoHub: with a WebSub hub configured, current documents
// advertise it (body and Link header) and archive pages do not: they are
// no topic to subscribe to.
func TestArchiveNoHub(t *testing.T) {
	a := newArchiveFixture(t, web.ArchivePageSize+10)
	set := testSettings()
	set.Hub = "https://hub.example.net/"
	if err := a.h.Apply(set); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]bool{
		"/feeds/all.atom":           true,
		"/tags/iraq.rss":            true,
		"/feeds/all/archive/1.atom": false,
		"/tags/iraq/archive/1.rss":  false,
		"/feeds/all/archive/2.json": false,
	} {
		rec := a.mustGet(path)
		if got := strings.Contains(rec.Header().Get("Link"), set.Hub); got != want {
			t.Errorf("%s: Link %q, hub wanted %v", path, rec.Header().Get("Link"), want)
		}
		if got := strings.Contains(rec.Body.String(), set.Hub); got != want {
			t.Errorf("%s: hub in the body %v, want %v", path, got, want)
		}
	}
}

// TestArchiveErrors: pages that do not exist are 404, malformed page
// numbers a clear 400.
func TestArchiveErrors(t *testing.T) {
	a := newArchiveFixture(t, web.ArchivePageSize+10)
	for _, c := range []struct {
		path string
		code int
	}{
		{"/feeds/all/archive/2.atom", http.StatusOK},
		{"/feeds/all/archive/3.atom", http.StatusNotFound},
		{"/feeds/all/archive/999999.rss", http.StatusNotFound},
		{"/feeds/nope/archive/1.atom", http.StatusNotFound},
		{"/feeds/all/archive/1.xml", http.StatusNotFound},
		{"/tags/no-such-tag/archive/1.json", http.StatusNotFound},
		{"/feeds/sport/archive/1.atom", http.StatusOK},
		{"/feeds/all/archive/0.atom", http.StatusBadRequest},
		{"/feeds/all/archive/01.atom", http.StatusBadRequest},
		{"/feeds/all/archive/-1.atom", http.StatusBadRequest},
		{"/feeds/all/archive/1.5.atom", http.StatusBadRequest},
		{"/feeds/all/archive/two.json", http.StatusBadRequest},
		{"/feeds/all/archive/99999999999999999999.rss", http.StatusBadRequest},
		{"/tags/iraq/archive/x.atom", http.StatusBadRequest},
	} {
		rec := a.get(c.path)
		if c.code == http.StatusOK {
			req := httptest.NewRequest(http.MethodOptions, c.path, nil)
			pre := httptest.NewRecorder()
			a.h.ServeHTTP(pre, req)
			if pre.Code != http.StatusNoContent || pre.Header().Get("Access-Control-Allow-Origin") != "*" {
				t.Errorf("OPTIONS %s: %d %v, want 204 with CORS", c.path, pre.Code, pre.Header())
			}
		}
		if rec.Code != c.code {
			t.Errorf("%s: %d %q, want %d", c.path, rec.Code, rec.Body, c.code)
		}
		if c.code == http.StatusBadRequest && !strings.Contains(rec.Body.String(), "page number") {
			t.Errorf("%s: 400 says %q, not what is wrong", c.path, rec.Body)
		}
	}
}

// TestArchiveValidate runs validate-feed --strict over every archive page
// and current document of every walked feed, in every format.
func TestArchiveValidate(t *testing.T) {
	tool := validator(t)
	a := newArchiveFixture(t, 2*web.ArchivePageSize+30)
	dir := t.TempDir()
	var files []string
	for _, feed := range archivedFeeds {
		for _, ext := range []string{"atom", "rss", "json"} {
			pages, _ := a.walk(feed.path, ext)
			for _, p := range append(pages, feed.path+"."+ext) {
				file := filepath.Join(dir, strings.ReplaceAll(strings.Trim(p, "/"), "/", "_"))
				if err := os.WriteFile(file, a.mustGet(p).Body.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				files = append(files, file)
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, tool, append([]string{"--strict", "--rng=xmllint", "-v"}, files...)...).CombinedOutput()
	t.Logf("validate-feed:\n%s", out)
	if err != nil {
		t.Fatalf("validate-feed --strict found problems or failed: %v", err)
	}
}

// validator is ../shared/tools/validate-feed next to the repository, or
// skips the test.
func validator(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("validate-feed starts Python and xmllint: skipped with -short")
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		if parent := filepath.Dir(dir); parent != dir {
			dir = parent
			continue
		}
		t.Skip("no go.mod above the test")
	}
	tool := filepath.Join(dir, "..", "shared", "tools", "validate-feed")
	if _, err := os.Stat(tool); err != nil {
		t.Skipf("%s is absent: skipping", tool)
	}
	return tool
}
