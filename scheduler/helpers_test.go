package scheduler_test

import (
	"context"
	"fmt"
	"html"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/feeds/fetch"
	"github.com/feedloom/feedloom/feeds/related"
	"github.com/feedloom/feedloom/feeds/tag"
	"github.com/feedloom/feedloom/scheduler"
	"github.com/feedloom/feedloom/storage"
	"github.com/feedloom/feedloom/storage/storagetest"
)

// base is the tests' "now": items are published relative to it.
var base = time.Date(2025, 6, 2, 12, 0, 0, 0, time.UTC)

// clock is an injectable, advanceable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// origin is an httptest server with a mutable route table and hit counts.
type origin struct {
	*httptest.Server
	mu     sync.Mutex
	routes map[string]http.HandlerFunc
	hits   map[string]int
	reqs   map[string][]*http.Request
}

func newOrigin(t *testing.T) *origin {
	t.Helper()
	o := &origin{routes: map[string]http.HandlerFunc{}, hits: map[string]int{}, reqs: map[string][]*http.Request{}}
	o.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.mu.Lock()
		h := o.routes[r.URL.Path]
		o.hits[r.URL.Path]++
		o.reqs[r.URL.Path] = append(o.reqs[r.URL.Path], r.Clone(context.Background()))
		o.mu.Unlock()
		if h == nil {
			http.NotFound(w, r)
			return
		}
		h(w, r)
	}))
	t.Cleanup(o.Close)
	return o
}

func (o *origin) handle(path string, h http.HandlerFunc) {
	o.mu.Lock()
	o.routes[path] = h
	o.mu.Unlock()
}

func (o *origin) hit(path string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.hits[path]
}

func (o *origin) last(path string) *http.Request {
	o.mu.Lock()
	defer o.mu.Unlock()
	rs := o.reqs[path]
	if len(rs) == 0 {
		return nil
	}
	return rs[len(rs)-1]
}

// serveDoc answers with body as an RSS document carrying etag, honouring
// If-None-Match.
func serveDoc(body, etag string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if etag != "" {
			w.Header().Set("ETag", etag)
			if r.Header.Get("If-None-Match") == etag {
				w.WriteHeader(http.StatusNotModified)
				return
			}
		}
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		_, _ = w.Write([]byte(body))
	}
}

func status(code int, header ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		http.Error(w, http.StatusText(code), code)
	}
}

// item is one RSS item of a generated fixture.
type item struct {
	GUID, Link, Title, Desc string
	Published               time.Time
	Categories              []string
}

func rss(title string, items ...item) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>%s</title><link>https://example.org/</link><description>d</description>
`, html.EscapeString(title))
	for _, it := range items {
		b.WriteString("<item>")
		if it.GUID != "" {
			fmt.Fprintf(&b, `<guid isPermaLink="false">%s</guid>`, html.EscapeString(it.GUID))
		}
		fmt.Fprintf(&b, "<title>%s</title><link>%s</link><description>%s</description>",
			html.EscapeString(it.Title), html.EscapeString(it.Link), html.EscapeString(it.Desc))
		if !it.Published.IsZero() {
			fmt.Fprintf(&b, "<pubDate>%s</pubDate>", it.Published.Format(time.RFC1123Z))
		}
		for _, c := range it.Categories {
			fmt.Fprintf(&b, "<category>%s</category>", html.EscapeString(c))
		}
		b.WriteString("</item>\n")
	}
	b.WriteString("</channel></rss>\n")
	return b.String()
}

// env is a scheduler over a real database in t.TempDir().
type env struct {
	t     *testing.T
	db    *storage.DB
	clock *clock
	s     *scheduler.Scheduler
	set   scheduler.Settings
	opts  scheduler.Options
}

type envOption func(*scheduler.Options, *scheduler.Settings, *fetch.Options)

func newEnv(t *testing.T, sources []feeds.Source, mods ...envOption) *env {
	t.Helper()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "feedloom.db")
	db, err := storage.Open(ctx, path)
	if err != nil {
		t.Fatalf("open storage: %v", err)
	}
	t.Cleanup(func() {
		storagetest.CheckForeignKeys(t, path)
		if err := db.Close(); err != nil {
			t.Errorf("close storage: %v", err)
		}
	})
	c := &clock{t: base}
	tg, err := tag.New(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	fo := fetch.Options{Timeout: 5 * time.Second, MaxBody: 4 << 20, UserAgent: "feedloom-test"}
	o := scheduler.Options{
		Store:   db,
		Related: related.New(related.Options{Limit: 5, MinShared: 1, Window: 720 * time.Hour, MaxShare: 1}),
		Logger:  slog.New(slog.DiscardHandler),
		Now:     c.Now,
		Rand:    rand.New(rand.NewPCG(1, 2)),
	}
	set := scheduler.Settings{Sources: sources, Tagger: tg, Concurrency: 8, PerHost: 4}
	for _, m := range mods {
		m(&o, &set, &fo)
	}
	o.Fetcher = fetch.New(fo)
	s, err := scheduler.New(o, set)
	if err != nil {
		t.Fatalf("scheduler.New: %v", err)
	}
	return &env{t: t, db: db, clock: c, s: s, set: set, opts: o}
}

func src(name, url string, tags ...string) feeds.Source {
	return feeds.Source{Name: name, URL: url, Tags: tags, Schedule: "*/15 * * * *"}
}

// once runs RunOnce and fails the test on a pass-level error.
func (e *env) once(force bool, names ...string) map[string]scheduler.Result {
	e.t.Helper()
	res, err := e.s.RunOnce(e.t.Context(), names, force, nil)
	if err != nil {
		e.t.Fatalf("RunOnce: %v", err)
	}
	m := map[string]scheduler.Result{}
	for _, r := range res {
		m[r.Source] = r
	}
	return m
}

func (e *env) state(name string) feeds.SourceState {
	e.t.Helper()
	st, err := e.db.SourceState(e.t.Context(), name)
	if err != nil {
		e.t.Fatalf("SourceState(%s): %v", name, err)
	}
	return st
}

func (e *env) articles() []feeds.Article {
	e.t.Helper()
	as, err := e.db.Articles(e.t.Context(), feeds.Filter{Limit: 100000})
	if err != nil {
		e.t.Fatalf("Articles: %v", err)
	}
	return as
}

func (e *env) stats() feeds.Stats {
	e.t.Helper()
	st, err := e.db.Stats(e.t.Context())
	if err != nil {
		e.t.Fatalf("Stats: %v", err)
	}
	return st
}

// sharedDir is /work/shared reached from the repo root, or a skip.
func sharedDir(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("repo root (go.mod) not found")
		}
		dir = parent
	}
	shared := filepath.Join(dir, "..", "shared")
	if _, err := os.Stat(filepath.Join(shared, "corpus")); err != nil {
		t.Skipf("../shared/corpus not available: %v", err)
	}
	return shared
}
