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

// BenchmarkCachedFeed measures the handler alone (no network) serving a
// cached 50-entry feed: a full 200 (identity and gzip) and a 304.
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
		name    string
		headers map[string]string
		code    int
	}{
		{"200", nil, 200},
		{"200-gzip", map[string]string{"Accept-Encoding": "gzip"}, 200},
		{"304", map[string]string{"If-None-Match": etag}, 304},
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
			req := httptest.NewRequest(http.MethodGet, path, nil)
			for k, v := range c.headers {
				req.Header.Set(k, v)
			}
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				f.h.ServeHTTP(w, req)
				if w.Code != c.code {
					b.Fatalf("status %d, want %d", w.Code, c.code)
				}
			}
		})
	}
}
