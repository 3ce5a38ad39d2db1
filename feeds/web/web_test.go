package web_test

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/feeds/web"
)

const (
	ctAtom = "application/atom+xml; charset=utf-8"
	ctRSS  = "application/rss+xml; charset=utf-8"
	ctJSON = "application/feed+json; charset=utf-8"
	ctHTML = "text/html; charset=utf-8"
	ctOPML = "text/x-opml; charset=utf-8"
	ctText = "text/plain; charset=utf-8"
)

func TestRoutes(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tests := []struct {
		name, path string
		code       int
		ctype      string
		contains   string
	}{
		{"index", "/", 200, ctHTML, "Middle East"},
		{"all atom", "/feeds/all.atom", 200, ctAtom, "Ceasefire talks"},
		{"all rss", "/feeds/all.rss", 200, ctRSS, "Ceasefire talks"},
		{"all json", "/feeds/all.json", 200, ctJSON, "Ceasefire talks"},
		{"output atom", "/feeds/middle-east.atom", 200, ctAtom, "Oil exports"},
		{"output rss", "/feeds/middle-east.rss", 200, ctRSS, "Oil exports"},
		{"output json", "/feeds/middle-east.json", 200, ctJSON, "Oil exports"},
		{"tag page", "/tags/syria", 200, ctHTML, "Ceasefire talks"},
		{"tag atom", "/tags/syria.atom", 200, ctAtom, "Ceasefire talks"},
		{"tag rss", "/tags/energy.rss", 200, ctRSS, "Oil exports"},
		{"tag json", "/tags/world.json", 200, ctJSON, "Oil exports"},
		{"article", articlePath(f.ids["syria-1"]), 200, ctHTML, "Related posts"},
		{"sources", "/sources", 200, ctHTML, "Alpha News"},
		{"sources json", "/sources.json", 200, "application/json; charset=utf-8", `"name":"alpha"`},
		{"opml", "/opml", 200, ctOPML, "https://alpha.example/rss.xml"},
		{"healthz", "/healthz", 200, ctText, "ok"},
		{"metrics", "/metrics", 200, "", "feedloom_http"},
		{"unknown output", "/feeds/nope.atom", 404, ctText, "no such feed"},
		{"unknown format", "/feeds/all.xml", 404, ctText, ""},
		{"no format", "/feeds/all", 404, ctText, ""},
		{"unknown tag page", "/tags/nope", 404, ctHTML, "no such tag"},
		{"unknown tag feed", "/tags/nope.rss", 404, ctText, "no such tag"},
		{"unknown article", "/articles/999999", 404, ctHTML, "no such article"},
		{"unknown path", "/wp-login.php", 404, ctHTML, ""},
		{"feeds dir", "/feeds/", 404, ctHTML, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.get(t, tt.path, tt.code)
			if tt.ctype != "" && r.header.Get("Content-Type") != tt.ctype {
				t.Errorf("Content-Type = %q, want %q", r.header.Get("Content-Type"), tt.ctype)
			}
			if r.header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("no X-Content-Type-Options: nosniff")
			}
			if !strings.Contains(strings.ToLower(r.text(t)), strings.ToLower(tt.contains)) {
				t.Errorf("body lacks %q: %.500s", tt.contains, r.text(t))
			}
			if tt.ctype == ctHTML && !strings.Contains(r.header.Get("Content-Security-Policy"), "default-src 'none'") {
				t.Errorf("HTML without CSP: %q", r.header.Get("Content-Security-Policy"))
			}
			if tt.code == 200 && tt.path != "/healthz" && tt.path != "/metrics" {
				for _, h := range []string{"ETag", "Last-Modified", "Cache-Control", "Content-Length"} {
					if r.header.Get(h) == "" {
						t.Errorf("no %s header", h)
					}
				}
				if !strings.HasPrefix(r.header.Get("Cache-Control"), "public, max-age=") {
					t.Errorf("Cache-Control = %q", r.header.Get("Cache-Control"))
				}
			}
		})
	}
}

func TestMethods(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete} {
		t.Run(m, func(t *testing.T) {
			r := f.do(t, m, "/feeds/all.atom")
			if r.code != http.StatusMethodNotAllowed {
				t.Fatalf("%s = %d, want 405", m, r.code)
			}
			if allow := r.header.Get("Allow"); !strings.Contains(allow, "GET") || !strings.Contains(allow, "HEAD") {
				t.Errorf("Allow = %q", allow)
			}
		})
	}
	t.Run("HEAD", func(t *testing.T) {
		for _, p := range []string{"/feeds/all.atom", "/", "/tags/syria.json", "/healthz"} {
			get := f.get(t, p, 200)
			head := f.do(t, http.MethodHead, p)
			if head.code != 200 || len(head.body) != 0 {
				t.Errorf("HEAD %s = %d with %d bytes", p, head.code, len(head.body))
			}
			if head.header.Get("Content-Length") != fmt.Sprint(len(get.body)) {
				t.Errorf("HEAD %s Content-Length = %q, GET sent %d", p, head.header.Get("Content-Length"), len(get.body))
			}
			if head.header.Get("ETag") != get.header.Get("ETag") {
				t.Errorf("HEAD %s ETag %q != GET %q", p, head.header.Get("ETag"), get.header.Get("ETag"))
			}
		}
	})
}

func TestConditionalGet(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	const p = "/feeds/middle-east.atom"
	first := f.get(t, p, 200)
	etag, lm := first.header.Get("ETag"), first.header.Get("Last-Modified")
	if !strings.HasPrefix(etag, `"`) || !strings.HasSuffix(etag, `"`) {
		t.Fatalf("ETag %q is not a strong quoted tag", etag)
	}
	lmTime, err := http.ParseTime(lm)
	if err != nil {
		t.Fatalf("Last-Modified %q: %v", lm, err)
	}
	if want := t0.Add(-2 * time.Hour); !lmTime.Equal(want) {
		t.Errorf("Last-Modified = %v, want the newest entry's date %v", lmTime, want)
	}
	tests := []struct {
		name    string
		headers []string
		want    int
	}{
		{"etag", []string{"If-None-Match", etag}, 304},
		{"weak etag", []string{"If-None-Match", "W/" + etag}, 304},
		{"etag list", []string{"If-None-Match", `"nope", ` + etag + `, "other"`}, 304},
		{"star", []string{"If-None-Match", "*"}, 304},
		{"other etag", []string{"If-None-Match", `"nope"`}, 200},
		{"gzip etag without gzip", []string{"If-None-Match", strings.TrimSuffix(etag, `"`) + `-gz"`}, 200},
		{"modified since", []string{"If-Modified-Since", lm}, 304},
		{"modified since later", []string{"If-Modified-Since", lmTime.Add(time.Hour).Format(http.TimeFormat)}, 304},
		{"modified since earlier", []string{"If-Modified-Since", lmTime.Add(-time.Second).Format(http.TimeFormat)}, 200},
		{"bad date", []string{"If-Modified-Since", "yesterday"}, 200},
		{"etag wins over date", []string{"If-None-Match", `"nope"`, "If-Modified-Since", lm}, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.get(t, p, tt.want, tt.headers...)
			if tt.want == 304 {
				if len(r.body) != 0 {
					t.Errorf("304 with a body of %d bytes", len(r.body))
				}
				if r.header.Get("ETag") != etag || r.header.Get("Cache-Control") == "" || r.header.Get("Vary") == "" {
					t.Errorf("304 headers: %v", r.header)
				}
				// RFC 9110 15.4.5: no representation metadata beside the ETag.
				for _, h := range []string{"Last-Modified", "Content-Type", "Content-Length", "Content-Encoding"} {
					if v := r.header.Get(h); v != "" {
						t.Errorf("304 with %s: %s", h, v)
					}
				}
			}
		})
	}
}

func TestGzip(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, p := range []string{"/feeds/all.atom", "/feeds/all.rss", "/feeds/all.json", "/", "/tags/world", "/sources.json"} {
		t.Run(p, func(t *testing.T) {
			plain := f.get(t, p, 200)
			gz := f.get(t, p, 200, "Accept-Encoding", "br;q=1, gzip;q=0.8")
			if gz.header.Get("Content-Encoding") != "gzip" {
				t.Fatalf("Content-Encoding = %q", gz.header.Get("Content-Encoding"))
			}
			if gz.text(t) != string(plain.body) {
				t.Errorf("gzip body decodes to something else than the identity body")
			}
			if len(gz.body) >= len(plain.body) {
				t.Errorf("gzip body %d bytes, identity %d", len(gz.body), len(plain.body))
			}
			for _, r := range []response{plain, gz} {
				if r.header.Get("Vary") != "Accept-Encoding" {
					t.Errorf("Vary = %q", r.header.Get("Vary"))
				}
			}
			if gz.header.Get("ETag") == plain.header.Get("ETag") {
				t.Errorf("gzip and identity share the ETag %s", gz.header.Get("ETag"))
			}
			f.get(t, p, 304, "Accept-Encoding", "gzip", "If-None-Match", gz.header.Get("ETag"))
			refused := f.get(t, p, 200, "Accept-Encoding", "gzip;q=0, identity")
			if refused.header.Get("Content-Encoding") != "" {
				t.Errorf("gzip sent although q=0")
			}
		})
	}
}

// TestETagFollowsContent: new data bumps the store's generation and so
// invalidates every cached document, but a re-render of a feed whose content
// did not change gives the same bytes and ETag; a matching article changes it.
func TestETagFollowsContent(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	const p = "/feeds/middle-east.json"
	first := f.get(t, p, 200)
	renders := f.store.articles.Load()
	f.get(t, p, 304, "If-None-Match", first.header.Get("ETag"))
	if n := f.store.articles.Load(); n != renders {
		t.Fatalf("a cached poll queried the store (%d queries, want %d)", n, renders)
	}

	f.ingest("beta", art("sport-2", "Marathon record in Boston", t0.Add(-30*time.Minute), "sport"))
	again := f.get(t, p, 200)
	if f.store.articles.Load() == renders {
		t.Fatalf("new data did not make the feed re-render")
	}
	if again.header.Get("ETag") != first.header.Get("ETag") || string(again.body) != string(first.body) {
		t.Errorf("unrelated article changed the feed: ETag %s -> %s", first.header.Get("ETag"), again.header.Get("ETag"))
	}
	if again.header.Get("Last-Modified") != first.header.Get("Last-Modified") {
		t.Errorf("Last-Modified moved without a change: %s -> %s", first.header.Get("Last-Modified"), again.header.Get("Last-Modified"))
	}
	f.get(t, p, 304, "If-None-Match", first.header.Get("ETag"))

	f.ingest("beta", art("syria-2", "Aid convoy reaches Idlib", t0.Add(-10*time.Minute), "syria"))
	changed := f.get(t, p, 200, "If-None-Match", first.header.Get("ETag"))
	if changed.header.Get("ETag") == first.header.Get("ETag") {
		t.Fatalf("a matching article left the ETag unchanged")
	}
	if !strings.Contains(string(changed.body), "Aid convoy reaches Idlib") {
		t.Errorf("new article missing from the feed")
	}
	f.get(t, p, 200, "If-Modified-Since", first.header.Get("Last-Modified"))
}

func TestPathTricks(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	long := strings.Repeat("a", 300)
	tests := []struct {
		name, path string
		want       int
	}{
		{"dot dot", "/feeds/../healthz", 400},
		{"encoded dot dot", "/feeds/%2e%2e/healthz", 400},
		{"dot", "/feeds/./all.atom", 400},
		{"double slash", "/feeds//all.atom", 400},
		{"encoded slash tag", "/tags/a%2Fb", 400},
		{"encoded slash tag feed", "/tags/a%2Fb.atom", 400},
		{"encoded slash output", "/feeds/a%2Fb.atom", 404},
		{"long tag", "/tags/" + long, 400},
		{"long tag feed", "/tags/" + long + ".rss", 400},
		{"long output", "/feeds/" + long + ".rss", 404},
		{"invalid utf-8 tag", "/tags/%ff%fe", 400},
		{"invalid utf-8 tag feed", "/tags/%ff.json", 400},
		{"nul in tag", "/tags/a%00b", 400},
		{"newline in tag", "/tags/a%0d%0ab", 400},
		{"zero id", "/articles/0", 404},
		{"negative id", "/articles/-1", 404},
		{"leading zero id", "/articles/0" + fmt.Sprint(f.ids["syria-1"]), 404},
		{"plus id", "/articles/+1", 404},
		{"huge id", "/articles/99999999999999999999999", 404},
		{"text id", "/articles/abc", 404},
		{"article dir", "/articles/", 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.do(t, http.MethodGet, tt.path)
			if r.code != tt.want {
				t.Errorf("GET %s = %d, want %d; %.200s", tt.path, r.code, tt.want, r.body)
			}
		})
	}
}

// TestOversizedHeader: NewServer caps request headers; beyond the cap the
// server answers 431 before the handler runs.
func TestOversizedHeader(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	conn, err := net.Dial("tcp", f.srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	big := strings.Repeat("x", 64<<10)
	if _, err := fmt.Fprintf(conn, "GET /feeds/all.atom HTTP/1.1\r\nHost: x\r\nX-Big: %s\r\n\r\n", big); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("status = %d, want 431", resp.StatusCode)
	}
	f.get(t, "/feeds/all.atom", 200, "X-Small", strings.Repeat("y", 8<<10))

	s := web.NewServer(":0", f.h)
	if s.ReadHeaderTimeout <= 0 || s.ReadTimeout <= 0 || s.WriteTimeout <= 0 || s.IdleTimeout <= 0 || s.MaxHeaderBytes != 16<<10 {
		t.Errorf("server bounds: %+v", s)
	}
}

func TestHealthz(t *testing.T) {
	t.Parallel()
	t.Run("scheduler", func(t *testing.T) {
		f := newFixture(t)
		f.get(t, "/healthz", 200)
		err := errors.New("scheduler stopped")
		f.health.Store(&err)
		r := f.get(t, "/healthz", 503)
		if !strings.Contains(string(r.body), "scheduler stopped") {
			t.Errorf("503 body %q lacks the reason", r.body)
		}
		if r.header.Get("Cache-Control") != "no-store" {
			t.Errorf("Cache-Control = %q", r.header.Get("Cache-Control"))
		}
		f.health.Store(nil)
		f.get(t, "/healthz", 200)
	})
	t.Run("database", func(t *testing.T) {
		f := newFixture(t)
		f.get(t, "/healthz", 200)
		if err := f.db.Close(); err != nil {
			t.Fatal(err)
		}
		f.get(t, "/healthz", 503)
		if r := f.do(t, http.MethodHead, "/healthz"); r.code != 503 {
			t.Errorf("HEAD /healthz = %d", r.code)
		}
	})
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	etag := f.get(t, "/feeds/all.atom", 200).header.Get("ETag") // rendered
	f.get(t, "/feeds/all.atom", 200)                            // from the cache
	f.get(t, "/feeds/all.atom", 304, "If-None-Match", etag)     // from the cache
	f.get(t, "/feeds/all%2Eatom", 304, "If-None-Match", etag)   // routed
	f.get(t, "/feeds/nope.atom", 404)
	f.get(t, "/no/such/page", 404)
	body := f.get(t, "/metrics", 200).text(t)
	for _, want := range []string{
		web.MetricRequests + `{code="200",route="/feeds/{file}"} 2`,
		web.MetricRequests + `{code="304",route="/feeds/{file}"} 2`,
		web.MetricRequests + `{code="404",route="/feeds/{file}"} 1`,
		web.MetricRequests + `{code="404",route="/"} 1`,
		web.MetricDuration + `_bucket{route="/feeds/{file}"`,
		web.MetricDuration + `_count{route="/feeds/{file}"} 5`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(body, "nope") || strings.Contains(body, "/no/such") {
		t.Errorf("a raw path leaked into the metric labels")
	}
	if _, err := web.New(web.Options{Store: f.store, Registerer: f.reg}, testSettings()); err == nil {
		t.Errorf("registering the metrics twice did not fail")
	}
}

func TestApply(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.get(t, "/feeds/energy.atom", 404)
	index := f.get(t, "/", 200)
	s := testSettings()
	s.Outputs = append(s.Outputs, feeds.Output{Name: "energy", Title: "Energy desk", Filter: feeds.Filter{TagsAny: []string{"energy"}}})
	if err := f.h.Apply(s); err != nil {
		t.Fatal(err)
	}
	r := f.get(t, "/feeds/energy.atom", 200)
	if !strings.Contains(string(r.body), "Oil exports") || strings.Count(string(r.body), "<entry>") != 1 {
		t.Errorf("energy feed has the wrong entries")
	}
	after := f.get(t, "/", 200, "If-None-Match", index.header.Get("ETag"))
	if !strings.Contains(string(after.body), "Energy desk") {
		t.Errorf("index does not list the new output")
	}

	bad := []web.Settings{
		{Title: "x", BaseURL: "not a url"},
		{Title: "x", BaseURL: "https://x.example/", Outputs: []feeds.Output{{Name: "all"}}},
		{Title: "x", BaseURL: "https://x.example/", Outputs: []feeds.Output{{Name: "a/b"}}},
		{Title: "x", BaseURL: "https://x.example/", Outputs: []feeds.Output{{Name: "a"}, {Name: "a"}}},
	}
	for i, s := range bad {
		if err := f.h.Apply(s); err == nil {
			t.Errorf("bad settings %d accepted", i)
		}
	}
	f.get(t, "/feeds/energy.atom", 200) // the good settings stayed
}

// TestMergedArticleRedirects: the page of an article that dedupe merged
// into another answers 301 to the article that took it in; an id that never
// existed still answers 404.
func TestMergedArticleRedirects(t *testing.T) {
	f := newFixture(t)
	retitled := art("m-retitled", "Port workers vote to end the long strike", t0.Add(-5*time.Hour), "labour")
	retitled.Link, retitled.LinkKey = "https://wire.example/strike", "wire.example/strike"
	copied := art("m-copy", "Dockers end strike after nine weeks of talks", t0.Add(-4*time.Hour), "labour")
	f.ingest("alpha", retitled)
	f.ingest("beta", copied)
	original := art("m-original", copied.Title, t0.Add(-5*time.Hour))
	original.Link, original.LinkKey = retitled.Link, retitled.LinkKey
	keep, gone := f.ids["m-retitled"], f.ids["m-copy"]
	res, err := f.db.Ingest(t.Context(), "alpha", feeds.SourceState{Name: "alpha", URL: "https://alpha.example/feed"},
		[]feeds.Article{original}, t0)
	if err != nil || !slices.Equal(res.Merged, []int64{gone}) {
		t.Fatalf("setup: %+v, %v; want %d merged into %d", res, err, gone, keep)
	}
	f.client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	r := f.get(t, articlePath(gone), http.StatusMovedPermanently)
	if loc := r.header.Get("Location"); loc != articlePath(keep) {
		t.Errorf("Location = %q, want %q", loc, articlePath(keep))
	}
	f.get(t, articlePath(keep), http.StatusOK)
	f.get(t, articlePath(999999), http.StatusNotFound)
}

// TestCORS: every published document a browser-based reader fetches (the
// feeds of outputs and tags, /opml, /sources.json) may be read from any
// origin, on 200, 304 and HEAD, and its preflight is answered; the HTML
// pages never say so.
func TestCORS(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tests := []struct {
		name, path string
		cors       bool
	}{
		{"all atom", "/feeds/all.atom", true},
		{"all rss", "/feeds/all.rss", true},
		{"all json", "/feeds/all.json", true},
		{"output atom", "/feeds/middle-east.atom", true},
		{"output rss", "/feeds/middle-east.rss", true},
		{"output json", "/feeds/middle-east.json", true},
		{"tag atom", "/tags/syria.atom", true},
		{"tag rss", "/tags/energy.rss", true},
		{"tag json", "/tags/world.json", true},
		{"opml", "/opml", true},
		{"sources json", "/sources.json", true},
		{"index", "/", false},
		{"article", articlePath(f.ids["syria-1"]), false},
		{"tag page", "/tags/syria", false},
		{"sources page", "/sources", false},
	}
	check := func(t *testing.T, what string, h http.Header, want bool) {
		t.Helper()
		got := h.Get("Access-Control-Allow-Origin")
		switch {
		case want && got != "*":
			t.Errorf("%s: Access-Control-Allow-Origin = %q, want *", what, got)
		case !want && len(h.Values("Access-Control-Allow-Origin")) != 0:
			t.Errorf("%s: Access-Control-Allow-Origin on an HTML page: %q", what, got)
		case want && !strings.Contains(h.Get("Access-Control-Expose-Headers"), "ETag"):
			t.Errorf("%s: ETag not exposed: %q", what, h.Get("Access-Control-Expose-Headers"))
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Twice: the first is rendered, the second answered from the cache.
			first := f.get(t, tt.path, 200, "Origin", "https://reader.example")
			check(t, "200", first.header, tt.cors)
			again := f.get(t, tt.path, 200, "Origin", "https://reader.example")
			check(t, "cached 200", again.header, tt.cors)
			nm := f.get(t, tt.path, 304, "If-None-Match", first.header.Get("ETag"))
			check(t, "304", nm.header, tt.cors)
			head := f.do(t, http.MethodHead, tt.path)
			check(t, "HEAD", head.header, tt.cors)

			pre := f.do(t, http.MethodOptions, tt.path,
				"Origin", "https://reader.example",
				"Access-Control-Request-Method", "GET",
				"Access-Control-Request-Headers", "if-none-match")
			if !tt.cors {
				if pre.header.Get("Access-Control-Allow-Origin") != "" || pre.header.Get("Access-Control-Allow-Methods") != "" {
					t.Errorf("preflight of an HTML page allowed: %v", pre.header)
				}
				return
			}
			if pre.code != http.StatusNoContent || len(pre.body) != 0 {
				t.Errorf("preflight = %d with %d bytes, want 204 and none", pre.code, len(pre.body))
			}
			check(t, "preflight", pre.header, true)
			if got := pre.header.Get("Access-Control-Allow-Methods"); got != "GET, HEAD, OPTIONS" {
				t.Errorf("Access-Control-Allow-Methods = %q", got)
			}
			if got := strings.ToLower(pre.header.Get("Access-Control-Allow-Headers")); !strings.Contains(got, "if-none-match") || !strings.Contains(got, "if-modified-since") {
				t.Errorf("Access-Control-Allow-Headers = %q", got)
			}
		})
	}
}
