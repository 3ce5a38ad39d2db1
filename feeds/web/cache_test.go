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
