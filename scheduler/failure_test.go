package scheduler_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/feeds/fetch"
	"github.com/feedloom/feedloom/scheduler"
)

func okDoc() string {
	return rss("ok", item{GUID: "1", Link: "https://ok.example/1", Title: "Grid operators warn of winter power shortages",
		Published: base.Add(-time.Hour)})
}

func TestBackoff(t *testing.T) {
	o := newOrigin(t)
	o.handle("/f", status(http.StatusInternalServerError))
	e := newEnv(t, []feeds.Source{src("f", o.URL+"/f")})

	var prevWait time.Duration
	for n := 1; n <= 6; n++ {
		r := e.once(false)["f"]
		if r.Err == nil || r.Skipped {
			t.Fatalf("attempt %d: %+v, want a failure", n, r)
		}
		st := e.state("f")
		if st.Failures != n || st.LastStatus != 500 || st.LastError == "" {
			t.Fatalf("attempt %d: state %+v", n, st)
		}
		wait := st.NextAttempt.Sub(e.clock.Now())
		lo, hi := scheduler.BackoffRange(n)
		if wait < lo || wait > hi {
			t.Errorf("attempt %d: wait %v outside [%v, %v]", n, wait, lo, hi)
		}
		if n > 1 && wait < prevWait/2 {
			t.Errorf("attempt %d: wait %v shrank from %v", n, wait, prevWait)
		}
		prevWait = wait

		// Not due yet: skipped and listed with its time.
		sk := e.once(false)["f"]
		if !sk.Skipped || sk.Reason != scheduler.ReasonBackoff || !sk.Until.Equal(st.NextAttempt) {
			t.Fatalf("attempt %d: before NextAttempt got %+v, want skipped until %v", n, sk, st.NextAttempt)
		}
		e.clock.Set(st.NextAttempt)
	}
	if hits := o.hit("/f"); hits != 6 {
		t.Errorf("origin saw %d requests, want 6 (skips must not fetch)", hits)
	}

	o.handle("/f", serveDoc(okDoc(), ""))
	if r := e.once(false)["f"]; r.Err != nil || r.New != 1 {
		t.Fatalf("recovery: %+v", r)
	}
	if st := e.state("f"); st.Failures != 0 || st.LastError != "" || st.NextAttempt.After(e.clock.Now()) {
		t.Errorf("after success the backoff is not reset: %+v", st)
	}
}

func TestBackoffRange(t *testing.T) {
	tests := []struct {
		failures int
		lo, hi   time.Duration
	}{
		{1, 30 * time.Second, time.Minute},
		{2, time.Minute, 2 * time.Minute},
		{5, 8 * time.Minute, 16 * time.Minute},
		{11, 512 * time.Minute, 1024 * time.Minute},
		{12, 12 * time.Hour, 24 * time.Hour},
		{1000, 12 * time.Hour, 24 * time.Hour},
	}
	for _, tt := range tests {
		lo, hi := scheduler.BackoffRange(tt.failures)
		if lo != tt.lo || hi != tt.hi {
			t.Errorf("BackoffRange(%d) = [%v, %v], want [%v, %v]", tt.failures, lo, hi, tt.lo, tt.hi)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	tests := []struct {
		name string
		code int
	}{
		{"429", http.StatusTooManyRequests},
		{"503", http.StatusServiceUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := newOrigin(t)
			o.handle("/f", status(tt.code, "Retry-After", "7200"))
			e := newEnv(t, []feeds.Source{src("f", o.URL+"/f")})
			r := e.once(false)["f"]
			if r.Err == nil || r.Status != tt.code {
				t.Fatalf("got %+v, want a %d failure", r, tt.code)
			}
			st := e.state("f")
			if min := e.clock.Now().Add(2 * time.Hour); st.NextAttempt.Before(min) {
				t.Errorf("NextAttempt %v is before now+Retry-After %v", st.NextAttempt, min)
			}
			e.clock.Advance(time.Hour)
			if sk := e.once(false)["f"]; !sk.Skipped {
				t.Errorf("fetched again within Retry-After: %+v", sk)
			}
			e.clock.Advance(time.Hour + time.Second)
			if r := e.once(false)["f"]; r.Skipped {
				t.Errorf("still skipped after Retry-After: %+v", r)
			}
		})
	}
}

// 410 stops the source until its config changes.
func TestGone(t *testing.T) {
	o := newOrigin(t)
	o.handle("/old", status(http.StatusGone))
	o.handle("/new", serveDoc(okDoc(), ""))
	e := newEnv(t, []feeds.Source{src("f", o.URL+"/old")})
	r := e.once(false)["f"]
	if !errors.Is(r.Err, fetch.ErrGone) || r.Status != http.StatusGone {
		t.Fatalf("got %+v, want ErrGone", r)
	}
	if st := e.state("f"); !st.Gone {
		t.Fatalf("state not gone: %+v", st)
	}
	e.clock.Advance(30 * 24 * time.Hour) // far past any backoff
	if sk := e.once(false)["f"]; !sk.Skipped || sk.Reason != scheduler.ReasonGone {
		t.Fatalf("a gone source was fetched: %+v", sk)
	}
	if hits := o.hit("/old"); hits != 1 {
		t.Errorf("origin saw %d requests, want 1", hits)
	}
	set := e.set
	set.Sources = []feeds.Source{src("f", o.URL+"/new")}
	if err := e.s.Apply(t.Context(), set); err != nil {
		t.Fatal(err)
	}
	if r := e.once(false)["f"]; r.Err != nil || r.Skipped || r.New != 1 {
		t.Fatalf("after a config change: %+v, want fetched", r)
	}
	if st := e.state("f"); st.Gone || st.Failures != 0 {
		t.Errorf("state after a config change and success: %+v", st)
	}
}

// A 301/308 chain is remembered and the next fetch goes straight there.
func TestPermanentRedirect(t *testing.T) {
	tests := []struct {
		name     string
		code     int
		remember bool
	}{
		{"301", http.StatusMovedPermanently, true},
		{"308", http.StatusPermanentRedirect, true},
		{"302", http.StatusFound, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := newOrigin(t)
			o.handle("/old", func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, "/new", tt.code)
			})
			o.handle("/new", serveDoc(okDoc(), ""))
			e := newEnv(t, []feeds.Source{src("f", o.URL+"/old")}, allowPrivate)
			if r := e.once(false)["f"]; r.Err != nil || r.New != 1 {
				t.Fatalf("first pass: %+v", r)
			}
			st := e.state("f")
			if got := st.RedirectURL != ""; got != tt.remember {
				t.Fatalf("RedirectURL = %q, remembered = %v, want %v", st.RedirectURL, got, tt.remember)
			}
			if tt.remember && !strings.HasSuffix(st.RedirectURL, "/new") {
				t.Errorf("RedirectURL = %q", st.RedirectURL)
			}
			if r := e.once(true)["f"]; r.Err != nil {
				t.Fatalf("second pass: %+v", r)
			}
			wantOld := 2
			if tt.remember {
				wantOld = 1
			}
			if got := o.hit("/old"); got != wantOld {
				t.Errorf("old URL requested %d times, want %d", got, wantOld)
			}
		})
	}
}

func allowPrivate(_ *scheduler.Options, _ *scheduler.Settings, f *fetch.Options) {
	f.AllowPrivateRedirects = true
}

// A server that trickles and one that sends too much both fail alone,
// with the error on the source.
func TestTimeoutAndBodyCap(t *testing.T) {
	o := newOrigin(t)
	o.handle("/trickle", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		_, _ = w.Write([]byte(`<?xml version="1.0"?><rss version="2.0"><channel>`))
		w.(http.Flusher).Flush()
		<-r.Context().Done() // never finishes: only the timeout ends it
	})
	big := strings.Repeat("x", 64<<10)
	o.handle("/big", serveDoc(rss("big", item{GUID: "1", Link: "https://big.example/1", Title: "big", Desc: big}), ""))
	o.handle("/ok", serveDoc(okDoc(), ""))
	e := newEnv(t, []feeds.Source{src("trickle", o.URL+"/trickle"), src("big", o.URL+"/big"), src("ok", o.URL+"/ok")},
		func(_ *scheduler.Options, _ *scheduler.Settings, f *fetch.Options) {
			f.Timeout = 300 * time.Millisecond
			f.MaxBody = 16 << 10
		})
	res := e.once(false)
	tests := []struct {
		source, kind string
	}{
		{"trickle", "timeout"},
		{"big", "too_large"},
		{"ok", ""},
	}
	for _, tt := range tests {
		t.Run(tt.source, func(t *testing.T) {
			r := res[tt.source]
			if got := fetch.KindOf(r.Err); got != tt.kind {
				t.Fatalf("error kind = %q (%v), want %q", got, r.Err, tt.kind)
			}
			st := e.state(tt.source)
			if (tt.kind != "") != (st.LastError != "") {
				t.Errorf("state error %q for kind %q", st.LastError, tt.kind)
			}
		})
	}
}
