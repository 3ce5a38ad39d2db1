package main

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
)

// TestBareHandler: the bare handler answers with exactly the status,
// headers and bytes of the handler it recorded, on the 200 and the 304
// paths (net/http adds the same Date to both servers' answers).
func TestBareHandler(t *testing.T) {
	const etag = `"abc"`
	feed := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", etag)
		w.Header().Set("Cache-Control", "public, max-age=300")
		w.Header().Set("Vary", "Accept-Encoding")
		w.Header().Set("Access-Control-Allow-Origin", "*")
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", "application/atom+xml; charset=utf-8")
		w.Header().Set("Last-Modified", "Fri, 03 May 2024 07:15:00 GMT")
		w.Header().Set("Content-Length", "6")
		_, _ = w.Write([]byte("<feed>"))
	})
	bare, err := bareHandler(feed, servePath)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, inm string
	}{{"200", ""}, {"304", etag}, {"other etag", `"nope"`}} {
		t.Run(tt.name, func(t *testing.T) {
			do := func(h http.Handler) *httptest.ResponseRecorder {
				req := httptest.NewRequest(http.MethodGet, servePath, nil)
				if tt.inm != "" {
					req.Header.Set("If-None-Match", tt.inm)
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				return rec
			}
			want, got := do(feed), do(bare)
			if got.Code != want.Code || got.Body.String() != want.Body.String() || !reflect.DeepEqual(got.Header(), want.Header()) {
				t.Errorf("bare: %d %v %q\nwant %d %v %q", got.Code, got.Header(), got.Body, want.Code, want.Header(), want.Body)
			}
		})
	}
	t.Run("refuses a handler without 304", func(t *testing.T) {
		plain := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Header().Set("ETag", etag) })
		if _, err := bareHandler(plain, servePath); err == nil {
			t.Error("no error for a handler that never answers 304")
		}
	})
}

// TestCompare: each row's share of nginx and of the bare handler, and the
// two ratios the issue sets goals for, per connection count; a server not
// measured leaves its ratio at 0.
func TestCompare(t *testing.T) {
	rows := []ServeRow{
		{Server: "feedloom", Status: 200, Conns: 64, ReqPerSec: 900},
		{Server: "bare", Status: 200, Conns: 64, ReqPerSec: 950},
		{Server: "nginx", Status: 200, Conns: 64, ReqPerSec: 1000},
		{Server: "feedloom", Status: 304, Conns: 64, ReqPerSec: 4800},
		{Server: "bare", Status: 304, Conns: 64, ReqPerSec: 5000},
		{Server: "nginx", Status: 304, Conns: 64, ReqPerSec: 8000},
		{Server: "feedloom", Status: 200, Conns: 256, ReqPerSec: 800},
		{Server: "bare", Status: 200, Conns: 256, ReqPerSec: 1000},
		{Server: "feedloom", Status: 304, Conns: 256, ReqPerSec: 3000},
		{Server: "bare", Status: 304, Conns: 256, ReqPerSec: 4000},
	}
	got := compare(rows)
	want := []ServeRatio{{Conns: 64, Of304ToBare: 0.96, Of200ToNgx: 0.9}, {Conns: 256, Of304ToBare: 0.75}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ratios %+v, want %+v", got, want)
	}
	for _, c := range []struct {
		row             int
		ofNginx, ofBare float64
	}{{0, 90, 100 * 900.0 / 950}, {1, 95, 0}, {2, 0, 100 * 1000.0 / 950}, {3, 60, 96}, {6, 0, 80}} {
		if r := rows[c.row]; r.PctOfNginx != c.ofNginx || r.PctOfBare != c.ofBare {
			t.Errorf("row %d (%s %d at %d): %% of nginx %v, of bare %v; want %v, %v", c.row, r.Server, r.Status, r.Conns, r.PctOfNginx, r.PctOfBare, c.ofNginx, c.ofBare)
		}
	}
}
