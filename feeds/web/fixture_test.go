package web_test

import (
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/feeds/web"
	"github.com/feedloom/feedloom/storage"
	"github.com/feedloom/feedloom/storage/storagetest"
	"github.com/prometheus/client_golang/prometheus"
)

// *storage.DB is the store web is written for.
var _ web.Store = (*storage.DB)(nil)

// t0 is the fixed clock of the fixtures.
var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// Hostile plain text, as a feed might send it and as a broken normaliser
// might store it: every page and feed must escape it.
const (
	hostileTitle  = `<script>alert("title")</script><img src=x onerror=alert(1)> & "quotes"`
	hostileAuthor = `<b onmouseover="alert('author')">Mallory</b>`
	hostileLink   = `javascript:alert('link')`
	hostileTag    = `"><script>alert(5)<img src=x onerror=alert(6)>`
	hostileSource = `<script>alert("source")</script>`
)

// countingStore counts the queries that rendering makes, to prove that a
// cached document costs none.
type countingStore struct {
	web.Store
	articles atomic.Int64
	related  atomic.Int64
}

func (c *countingStore) Articles(ctx context.Context, f feeds.Filter) ([]feeds.Article, error) {
	c.articles.Add(1)
	return c.Store.Articles(ctx, f)
}

func (c *countingStore) RelatedFor(ctx context.Context, ids []int64) (map[int64][]feeds.RelatedPost, error) {
	c.related.Add(1)
	return c.Store.RelatedFor(ctx, ids)
}

// fixture is a real store in t.TempDir() with a few articles, a handler
// over it and an httptest server.
type fixture struct {
	t        testing.TB
	db       *storage.DB
	store    *countingStore
	h        *web.Handler
	reg      *prometheus.Registry
	srv      *httptest.Server
	settings web.Settings
	ids      map[string]int64 // article ids by ItemKey
	health   atomic.Pointer[error]
	client   *http.Client
}

func testSources() []feeds.Source {
	return []feeds.Source{
		{Name: "alpha", URL: "https://alpha.example/rss.xml", Title: "Alpha News", Tags: []string{"world"}, Schedule: "@every 10m"},
		{Name: "beta", URL: "https://beta.example/feed.atom", Title: hostileSource, Schedule: "@every 10m"},
	}
}

func testSettings() web.Settings {
	return web.Settings{
		Title:   "World Desk",
		BaseURL: "https://news.example.org/",
		Sources: testSources(),
		Outputs: []feeds.Output{
			{Name: "middle-east", Title: "Middle East", Description: "Syria and Iraq",
				Filter: feeds.Filter{TagsAny: []string{"syria", "iraq"}, TagsNone: []string{"sport"}, Limit: 50}},
			{Name: "sport", Title: "Sport", Filter: feeds.Filter{TagsAny: []string{"sport"}}},
		},
	}
}

// art is a stored-ready article (what the normaliser and tagger produce).
func art(key, title string, published time.Time, tags ...string) feeds.Article {
	return feeds.Article{
		ItemKey:     key,
		GUID:        "urn:test:" + key,
		Link:        "https://alpha.example/" + key,
		LinkKey:     "alpha.example/" + key,
		Title:       title,
		TitleKey:    strings.ToLower(title),
		Summary:     "<p>Summary of <em>" + key + "</em>.</p>",
		Content:     "<p>Content of " + key + ".</p>",
		Author:      "Reporter",
		Published:   published,
		FirstSeen:   published,
		ContentHash: "hash-" + key,
		Tags:        tags,
	}
}

func baseArticles() []feeds.Article {
	hostile := art("hostile", hostileTitle, t0.Add(-4*time.Hour), "syria", "world", hostileTag)
	hostile.Author = hostileAuthor
	hostile.Link = hostileLink
	return []feeds.Article{
		art("syria-1", "Ceasefire talks resume in Geneva", t0.Add(-3*time.Hour), "syria", "world"),
		art("iraq-1", "Oil exports rise through Basra", t0.Add(-2*time.Hour), "energy", "iraq", "world"),
		art("sport-1", "Cup final tonight in Baghdad", t0.Add(-1*time.Hour), "iraq", "sport"),
		hostile,
	}
}

// newFixture opens the store, fills it and starts the server.
func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "feedloom.db")
	db, err := storage.Open(ctx, path)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	f := &fixture{t: t, db: db, store: &countingStore{Store: db}, reg: prometheus.NewRegistry(),
		settings: testSettings(), ids: map[string]int64{}}
	t.Cleanup(func() {
		storagetest.CheckForeignKeys(t, path)
		_ = db.Close() // a test may have closed it already
	})
	if err := db.SyncSources(ctx, f.settings.Sources); err != nil {
		t.Fatalf("sync sources: %v", err)
	}
	f.ingest("alpha", baseArticles()...)
	f.relate(map[string][]string{"syria-1": {"iraq-1", "hostile"}, "iraq-1": {"syria-1"}, "hostile": {"syria-1"}})
	f.h, err = web.New(web.Options{
		Store:      f.store,
		Registerer: f.reg,
		Gatherer:   f.reg,
		Healthy: func() error {
			if p := f.health.Load(); p != nil {
				return *p
			}
			return nil
		},
	}, f.settings)
	if err != nil {
		t.Fatalf("web.New: %v", err)
	}
	f.srv = httptest.NewUnstartedServer(f.h)
	f.srv.Config = web.NewServer("", f.h)
	f.srv.Start()
	t.Cleanup(f.srv.Close)
	// No transparent decompression: the tests look at what was sent.
	f.client = &http.Client{Transport: &http.Transport{DisableCompression: true}}
	t.Cleanup(f.client.CloseIdleConnections)
	return f
}

// ingest stores articles as one fetched feed of source and records their ids.
func (f *fixture) ingest(source string, arts ...feeds.Article) {
	f.t.Helper()
	ctx := context.Background()
	st := feeds.SourceState{Name: source, URL: "https://" + source + ".example/feed", LastFetch: t0, LastSuccess: t0, LastStatus: 200, ItemCount: len(arts)}
	if _, err := f.db.Ingest(ctx, source, st, arts, t0); err != nil {
		f.t.Fatalf("ingest: %v", err)
	}
	all, err := f.db.Articles(ctx, feeds.Filter{Limit: 1000})
	if err != nil {
		f.t.Fatalf("articles: %v", err)
	}
	for _, a := range all {
		for _, in := range arts {
			if a.GUID == in.GUID {
				f.ids[in.ItemKey] = a.ID
			}
		}
	}
	for _, in := range arts {
		if f.ids[in.ItemKey] == 0 {
			f.t.Fatalf("article %s not stored", in.ItemKey)
		}
	}
}

// relate saves related lists given by ItemKey.
func (f *fixture) relate(lists map[string][]string) {
	f.t.Helper()
	m := map[int64][]feeds.RelatedPost{}
	for k, rel := range lists {
		for i, r := range rel {
			m[f.ids[k]] = append(m[f.ids[k]], feeds.RelatedPost{ArticleID: f.ids[r], Score: float64(len(rel) - i)})
		}
	}
	if err := f.db.SaveRelated(context.Background(), m); err != nil {
		f.t.Fatalf("save related: %v", err)
	}
}

// response is what a test looks at: status, headers and the decoded body.
type response struct {
	code   int
	header http.Header
	body   []byte // as sent (gzip when Content-Encoding says so)
}

// text is the body, gunzipped if it was sent compressed.
func (r response) text(t testing.TB) string {
	t.Helper()
	if r.header.Get("Content-Encoding") != "gzip" {
		return string(r.body)
	}
	zr, err := gzip.NewReader(strings.NewReader(string(r.body)))
	if err != nil {
		t.Fatalf("gunzip: %v", err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("gunzip: %v", err)
	}
	return string(b)
}

// do sends one request; headers are name, value pairs.
func (f *fixture) do(t testing.TB, method, path string, headers ...string) response {
	t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+path, nil)
	if err != nil {
		t.Fatalf("request %s: %v", path, err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := f.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return response{code: resp.StatusCode, header: resp.Header, body: b}
}

// get is do("GET", …) that fails the test on any status but want.
func (f *fixture) get(t testing.TB, path string, want int, headers ...string) response {
	t.Helper()
	r := f.do(t, http.MethodGet, path, headers...)
	if r.code != want {
		t.Fatalf("GET %s = %d, want %d; body: %.300s", path, r.code, want, r.body)
	}
	return r
}

func articlePath(id int64) string { return fmt.Sprintf("/articles/%d", id) }
