package web_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/feedloom/feedloom/feeds"
)

// BenchmarkCachedFeed measures the handler alone (no network, a reused
// response writer) serving a cached 50-entry feed: a full 200 (identity
// and gzip) and a 304, answered from the cache before routing, and a 304
// routed through the mux (the path spelled with an escape).
func BenchmarkCachedFeed(b *testing.B) {
	f := newFixture(b)
	arts := make([]feeds.Article, 60)
	for i := range arts {
		a := art(fmt.Sprintf("bench-%02d", i), fmt.Sprintf("Story number %d about the region", i), t0.Add(-time.Duration(i+10)*time.Minute), "world", "syria")
		a.Content = "<p>" + strings.Repeat(fmt.Sprintf("Paragraph %d of a realistic article body. ", i), 30) + "</p>"
		arts[i] = a
	}
	f.ingest("alpha", arts...)
	const path = "/feeds/all.atom"
	warm := httptest.NewRecorder()
	f.h.ServeHTTP(warm, httptest.NewRequest(http.MethodGet, path, nil))
	if warm.Code != 200 {
		b.Fatalf("warm-up: %d", warm.Code)
	}
	etag := warm.Header().Get("ETag")
	cases := []struct {
		name, path string
		headers    map[string]string
		code       int
	}{
		{"200", path, nil, 200},
		{"200-gzip", path, map[string]string{"Accept-Encoding": "gzip"}, 200},
		{"304", path, map[string]string{"If-None-Match": etag}, 304},
		{"304-routed", "/feeds/all%2Eatom", map[string]string{"If-None-Match": etag}, 304},
	}
	// A render after the cache was invalidated (as a reload or any write
	// does): queries, render and hash; the bytes are unchanged, so the
	// cached gzip variant is reused.
	b.Run("render-after-invalidation", func(b *testing.B) {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		settings := testSettings()
		b.ReportAllocs()
		for b.Loop() {
			if err := f.h.Apply(settings); err != nil {
				b.Fatal(err)
			}
			w := httptest.NewRecorder()
			f.h.ServeHTTP(w, req)
			if w.Code != 200 {
				b.Fatalf("status %d", w.Code)
			}
		}
	})
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, c.path, nil)
			for k, v := range c.headers {
				req.Header.Set(k, v)
			}
			w := &discardWriter{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				w.reset()
				f.h.ServeHTTP(w, req)
				if w.code != c.code {
					b.Fatalf("status %d, want %d", w.code, c.code)
				}
			}
		})
	}
}

// discardWriter is a reusable http.ResponseWriter that keeps the status and
// headers and drops the body, so that a benchmark or an allocation count
// sees the handler's own costs rather than a recorder's.
type discardWriter struct {
	h    http.Header
	code int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(code int)        { w.code = code }
func (w *discardWriter) reset()                      { clear(w.h); w.code = 0 }
