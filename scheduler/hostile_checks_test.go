package scheduler_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/feeds/fetch"
	"github.com/feedloom/feedloom/feeds/normalize"
	"github.com/feedloom/feedloom/scheduler"
)

// The multi-step checks of TestHostile's cases.

// gone: 410 marks the source gone, and an unforced pass skips it.
func gone(t *testing.T, h *harness, name string) {
	fetchFails(fetch.KindGone, "gone")(t, h, name)
	if st := h.state(name); !st.Gone || st.LastStatus != http.StatusGone {
		t.Errorf("state %+v, want gone", st)
	}
	res, err := h.s.RunOnce(t.Context(), []string{name}, false, nil)
	if err != nil || !res[0].Skipped || res[0].Reason != scheduler.ReasonGone {
		t.Errorf("unforced pass after 410: %+v, %v; want skipped as gone", res, err)
	}
}

// retryAfter: the server's hint sets the next attempt, and an unforced
// pass before it skips the source.
func retryAfter(code int, wait time.Duration) func(*testing.T, *harness, string) {
	return func(t *testing.T, h *harness, name string) {
		r := h.run(t, name)
		var fe *fetch.Error
		if r.Err == nil || !errors.As(r.Err, &fe) || fe.Status != code || fe.RetryAfter < wait-5*time.Second ||
			!strings.Contains(r.Err.Error(), "retry after") {
			t.Fatalf("got %v; want HTTP %d with a Retry-After of %v", r.Err, code, wait)
		}
		st := h.state(name)
		if got := st.NextAttempt.Sub(h.clock.Now()); got < wait-5*time.Second || got > wait+5*time.Second {
			t.Errorf("next attempt in %v, want %v (Retry-After)", got, wait)
		}
		res, err := h.s.RunOnce(t.Context(), []string{name}, false, nil)
		if err != nil || !res[0].Skipped || res[0].Reason != scheduler.ReasonBackoff || !res[0].Until.Equal(st.NextAttempt) {
			t.Errorf("unforced pass before Retry-After: %+v, %v; want skipped until %v", res, err, st.NextAttempt)
		}
	}
}

// encoded: a legacy-charset feed is stored as the right UTF-8 words.
func encoded(title, text string) func(*testing.T, *harness, string) {
	return func(t *testing.T, h *harness, name string) {
		a := stored(t, h, name)
		if a.Title != title || !strings.Contains(a.Summary, text) {
			t.Errorf("stored %q / %q, want %q / %q", a.Title, a.Summary, title, text)
		}
	}
}

// hugeContent: with the default max_body the 20 MB element is too large;
// with max_body raised to 30 MB it is stored, cut to MaxHTMLBytes.
func hugeContent(t *testing.T, h *harness, name string) {
	fetchFails(fetch.KindTooLarge, "larger than 10 MB")(t, h, name)
	h.setFetch(t, fetch.Options{Timeout: 60 * time.Second, MaxBody: 30 << 20})
	a := stored(t, h, name)
	if len(a.Content) > normalize.MaxHTMLBytes || !strings.HasPrefix(a.Content, "<p>word word") || !strings.HasSuffix(a.Content, "</p>") {
		t.Errorf("content of %d bytes (%.30q ... %q), want at most %d, well formed",
			len(a.Content), a.Content, a.Content[max(0, len(a.Content)-10):], normalize.MaxHTMLBytes)
	}
}

// dates: every stored date is sane; items with a missing, future,
// pre-1990 or unparseable date count as undated: they sit a second apart
// below the fetch's one dated item, in the feed's order.
func dates(t *testing.T, h *harness, name string) {
	as := ingests(t, h, name, 5)
	now := h.clock.Now()
	sane := now.Add(-3 * time.Hour)
	order := map[string]int{"No date at all here": 1, "Published in the year 2999": 2,
		"Published before the epoch": 3, "Published at some unparseable time": 4}
	for _, a := range as {
		if a.Published.After(now.Add(normalize.FutureSkew)) || a.Published.Year() < normalize.MinYear ||
			a.Updated.Before(a.Published) || a.Updated.After(now.Add(normalize.FutureSkew)) {
			t.Errorf("%q: published %v updated %v (now %v)", a.Title, a.Published, a.Updated, now)
		}
		want := sane.Add(-time.Duration(order[a.Title]) * time.Second)
		if !a.Published.Equal(want) {
			t.Errorf("%q: published %v, want %v", a.Title, a.Published, want)
		}
	}
}

// again: the document stores n distinct articles, and fetching it again
// adds, updates and duplicates no row.
func again(t *testing.T, h *harness, name string, n int) {
	ingests(t, h, name, n)
	for pass := 2; pass <= 3; pass++ {
		r := h.run(t, name)
		if r.Err != nil || r.New != 0 || r.Updated != 0 {
			t.Errorf("pass %d: %+v; want nothing new or updated", pass, r)
		}
		if got := len(h.of(t, name)); got != n {
			t.Errorf("pass %d: %d articles, want %d", pass, got, n)
		}
	}
}

// flapping answers 200 and 500 in turn, starting with 200.
func flapping() http.HandlerFunc {
	var n atomic.Int64
	doc := rawRSS("flapping",
		datedItem("flapping", "Flapping source first story today", ""),
		datedItem("flapping", "Flapping source second story today", ""))
	return func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1)%2 == 0 {
			status(http.StatusInternalServerError)(w, r)
			return
		}
		serveDoc(doc, "")(w, r)
	}
}

// flap: articles survive the failures; failures count up and reset.
func flap(t *testing.T, h *harness, name string) {
	for pass := 1; pass <= 4; pass++ {
		r := h.run(t, name)
		st := h.state(name)
		if pass%2 == 1 {
			if r.Err != nil || st.Failures != 0 || st.LastError != "" {
				t.Errorf("pass %d (200): %v, state failures %d %q", pass, r.Err, st.Failures, st.LastError)
			}
		} else if fetch.KindOf(r.Err) != fetch.KindStatus || st.Failures != 1 || st.LastStatus != 500 {
			t.Errorf("pass %d (500): %v, state failures %d status %d", pass, r.Err, st.Failures, st.LastStatus)
		}
		if n := len(h.of(t, name)); n != 2 {
			t.Errorf("pass %d: %d articles, want 2 kept", pass, n)
		}
	}
}

// etagChurn serves the same document with a new ETag every time.
func etagChurn() http.HandlerFunc {
	var n atomic.Int64
	doc := rawRSS("etag-churn",
		datedItem("etag-churn", "Churning etag story number one", ""),
		datedItem("etag-churn", "Churning etag story number two", ""),
		datedItem("etag-churn", "Churning etag story number three", ""))
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"v`+string(rune('a'+n.Add(1)%26))+`"`)
		w.Header().Set("Content-Type", rssType)
		_, _ = w.Write([]byte(doc))
	}
}

// publicConn is a loopback connection that claims a public peer, so that
// the fetcher treats the origin as a public host.
type publicConn struct{ net.Conn }

func (publicConn) RemoteAddr() net.Addr {
	return &net.TCPAddr{IP: net.IPv4(93, 184, 216, 34), Port: 80}
}

// TestHostileRedirectToPrivate: a source on a public address that
// redirects to a loopback address is refused by default (the source gets a
// "blocked" error, the private URL is never requested) and followed with
// fetch.allow_private_redirects. The "public" origin is the loopback test
// server reached through a transport whose connections report a public
// peer; cmd/feedloom's TestAllowPrivateRedirectsPlumbed checks the config
// option reaches the fetcher.
func TestHostileRedirectToPrivate(t *testing.T) {
	o := newOrigin(t)
	o.handle("/private", serveDoc(okDoc(), ""))
	o.handle("/feed", redirect(http.StatusFound, o.URL+"/private")) // o.URL is http://127.0.0.1:port
	addr := o.Listener.Addr().String()
	d := &net.Dialer{}
	transport := &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		c, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return publicConn{c}, nil
	}}
	t.Cleanup(transport.CloseIdleConnections)
	tests := []struct {
		name  string
		allow bool
	}{
		{"refused by default", false},
		{"allowed for intranets", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := o.hit("/private")
			e := newEnv(t, []feeds.Source{src("public", "http://feeds.public.example/feed")},
				func(_ *scheduler.Options, _ *scheduler.Settings, f *fetch.Options) {
					f.Transport, f.AllowPrivateRedirects = transport, tt.allow
				})
			r := e.once(true)["public"]
			got := o.hit("/private") - before
			if !tt.allow {
				if fetch.KindOf(r.Err) != fetch.KindBlocked || !strings.Contains(r.Err.Error(), "allow_private_redirects") || got != 0 {
					t.Fatalf("got %v (%d requests to the private URL); want blocked, none", r.Err, got)
				}
				if st := e.state("public"); !strings.Contains(st.LastError, "private address 127.0.0.1") {
					t.Errorf("stored error %q", st.LastError)
				}
				return
			}
			if r.Err != nil || r.New != 1 || got != 1 {
				t.Fatalf("got %+v (%d requests to the private URL); want it followed", r, got)
			}
		})
	}
}
