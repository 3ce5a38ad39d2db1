package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/feeds/web"
	"github.com/feedloom/feedloom/storage"
)

// manySources is a store of n configured sources, each with a fetch state
// (a tenth of them failing), and a handler over it whose NextRun answers
// for every source, as the scheduler's does.
func manySources(tb testing.TB, n int) (*web.Handler, web.Settings) {
	tb.Helper()
	ctx := context.Background()
	db, err := storage.Open(ctx, filepath.Join(tb.TempDir(), "feedloom.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = db.Close() })
	srcs := make([]feeds.Source, n)
	for i := range srcs {
		srcs[i] = feeds.Source{Name: fmt.Sprintf("source-%05d", i), URL: fmt.Sprintf("https://host%d.example/feed.xml", i),
			Title: fmt.Sprintf("Source number %d", i), Tags: []string{"world"}, Schedule: "*/15 * * * *"}
	}
	if err := db.SyncSources(ctx, srcs); err != nil {
		tb.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for w := range 16 {
		wg.Go(func() {
			for i := w; i < n; i += 16 {
				st := feeds.SourceState{Name: srcs[i].Name, URL: srcs[i].URL, LastFetch: t0, LastSuccess: t0, LastStatus: 200,
					ETag: `"v1"`, ItemCount: 20, NextAttempt: t0.Add(15 * time.Minute)}
				if i%10 == 0 {
					st.LastError, st.Failures, st.LastStatus = "fetch: HTTP 503 Service Unavailable", 2, 503
				}
				if err := db.SaveFetchState(ctx, st); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		tb.Fatal(err)
	}
	next := t0.Add(20 * time.Minute)
	settings := web.Settings{Title: "World Desk", BaseURL: "https://news.example.org/", Sources: srcs}
	h, err := web.New(web.Options{Store: db, NextRun: func(string) (time.Time, bool) { return next, true }}, settings)
	if err != nil {
		tb.Fatal(err)
	}
	return h, settings
}

// BenchmarkSourcesPage measures the first render of /sources and
// /sources.json (every fetch-state write invalidates them) at 10,000
// sources: store query, view models, template or JSON encoding.
func BenchmarkSourcesPage(b *testing.B) {
	const n = 10000
	h, settings := manySources(b, n)
	for _, path := range []string{"/sources", "/sources.json"} {
		b.Run(path[1:], func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, path, nil)
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				// Applied settings invalidate the cached page.
				if err := h.Apply(settings); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != 200 {
					b.Fatalf("status %d", w.Code)
				}
			}
		})
	}
}
