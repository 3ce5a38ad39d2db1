package fetch_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/feedloom/feedloom/feeds/fetch"
)

const feedBody = `<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>` +
	`<item><title>one</title><link>https://example.org/1</link></item></channel></rss>`

// serveOn starts an httptest server for h listening on addr ("127.0.0.1:0").
func serveOn(t *testing.T, addr string, h http.Handler) *httptest.Server {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen on %s: %v", addr, err)
	}
	srv := httptest.NewUnstartedServer(h)
	_ = srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

func serve(t *testing.T, h http.HandlerFunc) *httptest.Server {
	return serveOn(t, "127.0.0.1:0", h)
}

func fetchErr(t *testing.T, f *fetch.Fetcher, url string) *fetch.Error {
	t.Helper()
	resp, err := f.Fetch(t.Context(), fetch.Request{URL: url})
	if err == nil {
		t.Fatalf("Fetch(%s) = status %d, want an error", url, resp.Status)
	}
	var fe *fetch.Error
	if !errors.As(err, &fe) {
		t.Fatalf("Fetch(%s) error %T %v is not *fetch.Error", url, err, err)
	}
	if err.Error() == "" {
		t.Fatalf("empty error message")
	}
	t.Logf("%s: %v", fe.Kind, err)
	return fe
}

func TestFetchOK(t *testing.T) {
	var got http.Header
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Last-Modified", "Mon, 02 Jan 2006 15:04:05 GMT")
		w.Header().Set("Cache-Control", "public, max-age=600")
		_, _ = w.Write([]byte(feedBody))
	})
	f := fetch.New(fetch.Options{UserAgent: "feedloom/test (+https://example.org/)"})
	resp, err := f.Fetch(t.Context(), fetch.Request{URL: srv.URL + "/feed"})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != 200 || resp.NotModified || string(resp.Body) != feedBody {
		t.Errorf("resp = %d %v %q", resp.Status, resp.NotModified, resp.Body)
	}
	if resp.ETag != `"v1"` || resp.LastModified != "Mon, 02 Jan 2006 15:04:05 GMT" || resp.MaxAge != 10*time.Minute {
		t.Errorf("validators/max-age = %q %q %v", resp.ETag, resp.LastModified, resp.MaxAge)
	}
	if resp.ContentType != "application/rss+xml; charset=utf-8" || resp.FinalURL != srv.URL+"/feed" || resp.PermanentURL != "" {
		t.Errorf("content type / urls = %q %q %q", resp.ContentType, resp.FinalURL, resp.PermanentURL)
	}
	if resp.Bytes != int64(len(feedBody)) {
		t.Errorf("Bytes = %d, want %d", resp.Bytes, len(feedBody))
	}
	if ua := got.Get("User-Agent"); ua != "feedloom/test (+https://example.org/)" {
		t.Errorf("User-Agent = %q", ua)
	}
	if a := got.Get("Accept"); a != fetch.Accept || !strings.HasPrefix(a, "application/atom+xml") {
		t.Errorf("Accept = %q", a)
	}
	if ae := got.Get("Accept-Encoding"); ae != "gzip" {
		t.Errorf("Accept-Encoding = %q", ae)
	}
	if got.Get("If-None-Match") != "" || got.Get("If-Modified-Since") != "" {
		t.Errorf("validators sent without being asked: %v", got)
	}
}

func TestFetchConditional(t *testing.T) {
	const etag, lm = `"abc"`, "Tue, 03 Jan 2006 15:04:05 GMT"
	tests := []struct {
		name       string
		req        fetch.Request
		header304  bool // the 304 repeats the validators
		wantStatus int
	}{
		{"etag matches", fetch.Request{ETag: etag}, true, 304},
		{"last-modified matches", fetch.Request{LastModified: lm}, false, 304},
		{"both, 304 without validators", fetch.Request{ETag: etag, LastModified: lm}, false, 304},
		{"stale etag", fetch.Request{ETag: `"old"`}, true, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sent http.Header
			srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
				sent = r.Header.Clone()
				if r.Header.Get("If-None-Match") == etag || r.Header.Get("If-Modified-Since") == lm {
					if tt.header304 {
						w.Header().Set("ETag", etag)
					}
					w.WriteHeader(http.StatusNotModified)
					return
				}
				w.Header().Set("ETag", etag)
				w.Header().Set("Last-Modified", lm)
				_, _ = w.Write([]byte(feedBody))
			})
			req := tt.req
			req.URL = srv.URL
			resp, err := fetch.New(fetch.Options{}).Fetch(t.Context(), req)
			if err != nil {
				t.Fatal(err)
			}
			if resp.Status != tt.wantStatus || resp.NotModified != (tt.wantStatus == 304) {
				t.Fatalf("status %d notModified %v, want %d", resp.Status, resp.NotModified, tt.wantStatus)
			}
			if sent.Get("If-None-Match") != tt.req.ETag || sent.Get("If-Modified-Since") != tt.req.LastModified {
				t.Errorf("sent validators %q %q, want %q %q", sent.Get("If-None-Match"), sent.Get("If-Modified-Since"), tt.req.ETag, tt.req.LastModified)
			}
			if resp.NotModified {
				if resp.Body != nil {
					t.Errorf("304 has a body: %q", resp.Body)
				}
				wantETag := req.ETag
				if tt.header304 {
					wantETag = etag
				}
				if resp.ETag != wantETag || resp.LastModified != req.LastModified {
					t.Errorf("304 validators %q %q, want %q %q", resp.ETag, resp.LastModified, wantETag, req.LastModified)
				}
			}
		})
	}
}

func TestFetchGzip(t *testing.T) {
	big := bytes.Repeat([]byte(feedBody), 100)
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Accept-Encoding") != "gzip" {
			t.Errorf("Accept-Encoding = %q", r.Header.Get("Accept-Encoding"))
		}
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		_, _ = zw.Write(big)
		_ = zw.Close()
	})
	resp, err := fetch.New(fetch.Options{}).Fetch(t.Context(), fetch.Request{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(resp.Body, big) {
		t.Fatalf("body not decompressed: %d bytes", len(resp.Body))
	}
	if resp.Bytes <= 0 || resp.Bytes >= int64(len(big)) {
		t.Errorf("Bytes = %d, want the compressed size (< %d)", resp.Bytes, len(big))
	}
}

func TestFetchStatus(t *testing.T) {
	date := time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)
	tests := []struct {
		name       string
		status     int
		retryAfter string
		wantKind   string
		wantRetry  [2]time.Duration // inclusive range
	}{
		{"500", 500, "", fetch.KindStatus, [2]time.Duration{}},
		{"404", 404, "", fetch.KindStatus, [2]time.Duration{}},
		{"403", 403, "", fetch.KindStatus, [2]time.Duration{}},
		{"410 gone", 410, "", fetch.KindGone, [2]time.Duration{}},
		{"429 seconds", 429, "120", fetch.KindStatus, [2]time.Duration{2 * time.Minute, 2 * time.Minute}},
		{"429 capped", 429, "99999999999", fetch.KindStatus, [2]time.Duration{7 * 24 * time.Hour, 7 * 24 * time.Hour}},
		{"503 http date", 503, date, fetch.KindStatus, [2]time.Duration{58 * time.Minute, time.Hour}},
		{"503 past date", 503, "Mon, 02 Jan 2006 15:04:05 GMT", fetch.KindStatus, [2]time.Duration{}},
		{"503 garbage", 503, "soon", fetch.KindStatus, [2]time.Duration{}},
		{"429 without header", 429, "", fetch.KindStatus, [2]time.Duration{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
				if tt.retryAfter != "" {
					w.Header().Set("Retry-After", tt.retryAfter)
				}
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte("<html>error page</html>"))
			})
			fe := fetchErr(t, fetch.New(fetch.Options{}), srv.URL)
			if fe.Kind != tt.wantKind || fe.Status != tt.status {
				t.Errorf("kind %q status %d, want %q %d (%v)", fe.Kind, fe.Status, tt.wantKind, tt.status, fe)
			}
			if fe.RetryAfter < tt.wantRetry[0] || fe.RetryAfter > tt.wantRetry[1] {
				t.Errorf("RetryAfter = %v, want in %v", fe.RetryAfter, tt.wantRetry)
			}
			if (tt.status == 410) != errors.Is(fe, fetch.ErrGone) {
				t.Errorf("errors.Is(ErrGone) wrong for %d", tt.status)
			}
			if fetch.KindOf(fe) != tt.wantKind || fetch.KindOf(nil) != "" {
				t.Errorf("KindOf = %q", fetch.KindOf(fe))
			}
			if !strings.Contains(fe.Error(), "HTTP") && tt.status != 410 {
				t.Errorf("message %q does not mention HTTP", fe.Error())
			}
		})
	}
}

func TestFetchSchemes(t *testing.T) {
	for _, u := range []string{"ftp://example.org/feed", "gopher://example.org/", "javascript:alert(1)", "example.org/feed", "http:///nohost", "file://otherhost/etc/passwd"} {
		t.Run(u, func(t *testing.T) {
			if fe := fetchErr(t, fetch.New(fetch.Options{}), u); fe.Kind != fetch.KindScheme {
				t.Errorf("kind = %q (%v), want scheme", fe.Kind, fe)
			}
		})
	}
}

func TestFetchNetworkErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String() + "/feed"
	_ = ln.Close()
	tests := []struct{ name, url, want string }{
		{"connection refused", closed, "refused"},
		{"dns failure", "http://no-such-host.invalid/feed", "no-such-host.invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fe := fetchErr(t, fetch.New(fetch.Options{Timeout: 5 * time.Second}), tt.url)
			if fe.Kind != fetch.KindNetwork || !strings.Contains(fe.Error(), tt.want) {
				t.Errorf("got %q: %v, want network error mentioning %q", fe.Kind, fe, tt.want)
			}
		})
	}
	t.Run("canceled by caller", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := fetch.New(fetch.Options{}).Fetch(ctx, fetch.Request{URL: closed})
		if fetch.KindOf(err) != fetch.KindNetwork || !errors.Is(err, context.Canceled) {
			t.Errorf("got %v, want a network error wrapping context.Canceled", err)
		}
	})
}

func TestFetchFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return "file://" + filepath.ToSlash(p)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write([]byte(feedBody))
	_ = zw.Close()
	feedURL := write("feed.xml", []byte(feedBody))
	bigURL := write("big.xml", bytes.Repeat([]byte("x"), 2048))
	gzURL := write("feed.xml.gz", gz.Bytes())
	f := fetch.New(fetch.Options{MaxBody: 1024})

	t.Run("read", func(t *testing.T) {
		resp, err := f.Fetch(t.Context(), fetch.Request{URL: feedURL})
		if err != nil {
			t.Fatal(err)
		}
		if resp.Status != 200 || string(resp.Body) != feedBody || resp.LastModified == "" || resp.ETag == "" {
			t.Fatalf("resp = %+v", resp)
		}
		again, err := f.Fetch(t.Context(), fetch.Request{URL: feedURL, ETag: resp.ETag, LastModified: resp.LastModified})
		if err != nil {
			t.Fatal(err)
		}
		if !again.NotModified || again.Body != nil {
			t.Errorf("unchanged file: NotModified %v body %d bytes", again.NotModified, len(again.Body))
		}
	})
	t.Run("gzipped file", func(t *testing.T) {
		resp, err := f.Fetch(t.Context(), fetch.Request{URL: gzURL})
		if err != nil || string(resp.Body) != feedBody {
			t.Fatalf("got %v %+v", err, resp)
		}
	})
	t.Run("cap", func(t *testing.T) {
		fe := fetchErr(t, f, bigURL)
		if fe.Kind != fetch.KindTooLarge || !errors.Is(fe, fetch.ErrTooLarge) || !strings.Contains(fe.Error(), "larger than 1 KB") {
			t.Errorf("got %q %v", fe.Kind, fe)
		}
	})
	t.Run("missing", func(t *testing.T) {
		if fe := fetchErr(t, f, "file://"+filepath.ToSlash(filepath.Join(dir, "nope.xml"))); fe.Kind != fetch.KindNetwork {
			t.Errorf("got %q %v", fe.Kind, fe)
		}
	})
	t.Run("directory", func(t *testing.T) {
		if fe := fetchErr(t, f, "file://"+filepath.ToSlash(dir)); fe.Kind != fetch.KindNetwork {
			t.Errorf("got %q %v", fe.Kind, fe)
		}
	})
}

// Bodies live in pooled buffers: a body read after another was released
// must be exactly its own bytes, whatever size came before it (shorter,
// longer than the first buffer, a gzip file served without encoding).
func TestFetchReleaseReuse(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write(bytes.Repeat([]byte("<gz/>"), 20_000))
	_ = zw.Close()
	bodies := map[string][]byte{
		"/big":   bytes.Repeat([]byte("<b>0123456789</b>"), 10_000), // 170 KB: past the first buffer
		"/small": []byte(feedBody),
		"/gz":    gz.Bytes(),
		"/empty": nil,
		"/mid":   bytes.Repeat([]byte("m"), 40_000),
	}
	want := map[string][]byte{"/gz": bytes.Repeat([]byte("<gz/>"), 20_000)}
	bodies["/big-length"] = bodies["/big"]
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/big-length" { // announced: read into a buffer of that size
			w.Header().Set("Content-Length", strconv.Itoa(len(bodies[r.URL.Path])))
		}
		_, _ = w.Write(bodies[r.URL.Path])
	})
	f := fetch.New(fetch.Options{})
	for round := range 3 {
		for _, path := range []string{"/big", "/small", "/gz", "/empty", "/mid", "/small", "/big-length", "/big"} {
			resp, err := f.Fetch(t.Context(), fetch.Request{URL: srv.URL + path})
			if err != nil {
				t.Fatal(err)
			}
			exp, ok := want[path]
			if !ok {
				exp = bodies[path]
			}
			if !bytes.Equal(resp.Body, exp) {
				t.Fatalf("round %d %s: body of %d bytes, want %d", round, path, len(resp.Body), len(exp))
			}
			resp.Release()
			if resp.Body != nil {
				t.Fatalf("Body after Release = %d bytes, want nil", len(resp.Body))
			}
			resp.Release() // twice is harmless
		}
	}
}
