package scheduler_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/feeds/fetch"
	"github.com/feedloom/feedloom/scheduler"
)

// gate is an origin handler that holds every request until released and
// records the most requests it ever held at once.
type gate struct {
	arrived  chan struct{}
	release  chan struct{}
	inFlight atomic.Int32
	maxSeen  atomic.Int32
	doc      string
}

func newGate(n int, doc string) *gate {
	return &gate{arrived: make(chan struct{}, n), release: make(chan struct{}, n), doc: doc}
}

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := g.inFlight.Add(1)
	for {
		m := g.maxSeen.Load()
		if n <= m || g.maxSeen.CompareAndSwap(m, n) {
			break
		}
	}
	g.arrived <- struct{}{}
	select {
	case <-g.release:
	case <-r.Context().Done():
	}
	g.inFlight.Add(-1)
	serveDoc(g.doc, "")(w, r)
}

func TestPerHostLimit(t *testing.T) {
	const sources, perHost = 7, 2
	o := newOrigin(t)
	g := newGate(sources, okDoc())
	var srcs []feeds.Source
	for i := range sources {
		p := fmt.Sprintf("/f%d", i)
		o.handle(p, g.ServeHTTP)
		srcs = append(srcs, src(fmt.Sprintf("f%d", i), o.URL+p))
	}
	e := newEnv(t, srcs, func(_ *scheduler.Options, s *scheduler.Settings, _ *fetch.Options) {
		s.Concurrency, s.PerHost = 8, perHost
	})
	done := make(chan []scheduler.Result)
	go func() {
		res, err := e.s.RunOnce(context.Background(), nil, false, nil)
		if err != nil {
			t.Error(err)
		}
		done <- res
	}()
	// Let perHost requests in, then trade one release for one arrival:
	// at every arrival the origin records how many it holds.
	for range perHost {
		<-g.arrived
	}
	for range sources - perHost {
		g.release <- struct{}{}
		<-g.arrived
	}
	for range perHost {
		g.release <- struct{}{}
	}
	res := <-done
	for _, r := range res {
		if r.Err != nil {
			t.Errorf("%s: %v", r.Source, r.Err)
		}
	}
	if got := g.maxSeen.Load(); got != perHost {
		t.Errorf("at most %d requests were in flight on one host, want exactly per_host=%d", got, perHost)
	}
}

// A source is never fetched twice at once: a second run while the first
// is in flight is skipped as "running".
func TestNoDoubleFetch(t *testing.T) {
	o := newOrigin(t)
	g := newGate(2, okDoc())
	o.handle("/f", g.ServeHTTP)
	e := newEnv(t, []feeds.Source{src("f", o.URL+"/f")})
	first := make(chan scheduler.Result)
	go func() {
		res, err := e.s.RunOnce(context.Background(), []string{"f"}, true, nil)
		if err != nil {
			t.Error(err)
		}
		first <- res[0]
	}()
	<-g.arrived
	second := e.once(true, "f")["f"]
	if !second.Skipped || second.Reason != scheduler.ReasonRunning {
		t.Errorf("second run while the first is in flight = %+v, want skipped as running", second)
	}
	g.release <- struct{}{}
	if r := <-first; r.Err != nil || r.New != 1 {
		t.Errorf("first run = %+v", r)
	}
	if hits := o.hit("/f"); hits != 1 {
		t.Errorf("origin saw %d requests, want 1", hits)
	}
}

func TestRunOnce(t *testing.T) {
	o := newOrigin(t)
	o.handle("/bad", status(http.StatusInternalServerError))
	o.handle("/gone", status(http.StatusGone))
	o.handle("/fresh", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=3600")
		serveDoc(okDoc(), "")(w, r)
	})
	o.handle("/ok", serveDoc(rss("ok", item{GUID: "x", Link: "https://ok.example/x", Title: "Iraq and Syria agree on water sharing deal",
		Published: base.Add(-time.Hour)}), ""))
	e := newEnv(t, []feeds.Source{src("bad", o.URL+"/bad"), src("gone", o.URL+"/gone"), src("fresh", o.URL+"/fresh"), src("ok", o.URL+"/ok")})

	var progress []scheduler.Progress
	res, err := e.s.RunOnce(t.Context(), nil, false, func(p scheduler.Progress) { progress = append(progress, p) })
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 4 || res[0].Source != "bad" || res[3].Source != "ok" {
		t.Fatalf("results not in configured order: %+v", res)
	}
	if len(progress) != 4 || progress[3].Done != 4 || progress[3].Total != 4 || progress[3].Errors != 2 || progress[3].New != 2 {
		t.Errorf("final progress = %+v", progress[len(progress)-1])
	}

	e.clock.Advance(10 * time.Second)
	second := e.once(false)
	tests := []struct {
		source  string
		skipped bool
		reason  string
	}{
		{"bad", true, scheduler.ReasonBackoff},
		{"gone", true, scheduler.ReasonGone},
		{"fresh", true, scheduler.ReasonNotDue},
		{"ok", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.source, func(t *testing.T) {
			r := second[tt.source]
			if r.Skipped != tt.skipped || r.Reason != tt.reason {
				t.Errorf("got skipped=%v reason=%q, want %v %q", r.Skipped, r.Reason, tt.skipped, tt.reason)
			}
			if tt.reason == scheduler.ReasonBackoff || tt.reason == scheduler.ReasonNotDue {
				if want := e.state(tt.source).NextAttempt; !r.Until.Equal(want) || !r.Until.After(e.clock.Now()) {
					t.Errorf("Until = %v, want the stored NextAttempt %v", r.Until, want)
				}
			}
		})
	}

	forced := e.once(true)
	for _, name := range []string{"bad", "gone", "fresh", "ok"} {
		if forced[name].Skipped {
			t.Errorf("force did not fetch %s: %+v", name, forced[name])
		}
	}
	if _, err := e.s.RunOnce(t.Context(), []string{"ok", "nope"}, false, nil); !errors.Is(err, scheduler.ErrUnknownSource) {
		t.Errorf("unknown name: err = %v, want ErrUnknownSource", err)
	}
}

// Run: on_start fetches, Apply adds a cron entry, and shutdown cancels a
// fetch that outlives the grace period.
func TestRunLifecycle(t *testing.T) {
	o := newOrigin(t)
	g := newGate(4, okDoc())
	o.handle("/hang", g.ServeHTTP)
	o.handle("/ok", serveDoc(okDoc(), ""))
	e := newEnv(t, []feeds.Source{src("hang", o.URL+"/hang")}, func(opt *scheduler.Options, _ *scheduler.Settings, _ *fetch.Options) {
		opt.OnStart = true
		opt.Grace = 50 * time.Millisecond
	})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- e.s.Run(ctx) }()
	<-g.arrived // on_start fetched
	if !e.s.Running() {
		t.Error("Running() = false while Run runs")
	}
	if err := e.s.Run(ctx); !errors.Is(err, scheduler.ErrRunning) {
		t.Errorf("second Run = %v, want ErrRunning", err)
	}
	if _, ok := e.s.Next("hang"); !ok {
		t.Error("no cron entry for a configured source")
	}
	set := e.set
	set.Sources = append(set.Sources, feeds.Source{Name: "ok", URL: o.URL + "/ok", Schedule: "@every 10m"})
	if err := e.s.Apply(t.Context(), set); err != nil {
		t.Fatal(err)
	}
	next, ok := e.s.Next("ok")
	if !ok || next.Before(time.Now().Add(10*time.Minute-time.Second)) || next.After(time.Now().Add(11*time.Minute)) {
		t.Errorf("Next(ok) = %v, %v; want about 10 minutes from now (plus jitter)", next, ok)
	}
	set.Sources = set.Sources[1:]
	if err := e.s.Apply(t.Context(), set); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.s.Next("hang"); ok {
		t.Error("a removed source keeps its cron entry")
	}

	cancel() // the hanging fetch is cancelled after the grace period
	if err := <-done; err != nil {
		t.Errorf("Run = %v", err)
	}
	if e.s.Running() {
		t.Error("Running() = true after Run returned")
	}
	if st := e.state("hang"); st.Failures != 0 {
		t.Errorf("a fetch cancelled by shutdown counted as a failure: %+v", st)
	}
}

func TestApplyRejectsBadSettings(t *testing.T) {
	tests := []struct {
		name    string
		sources []feeds.Source
	}{
		{"bad schedule", []feeds.Source{{Name: "a", URL: "http://a.example/", Schedule: "every day"}}},
		{"duplicate name", []feeds.Source{src("a", "http://a.example/"), src("a", "http://b.example/")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, []feeds.Source{src("keep", "http://keep.example/")})
			set := e.set
			set.Sources = tt.sources
			if err := e.s.Apply(t.Context(), set); err == nil {
				t.Fatal("Apply accepted bad settings")
			}
			// The old settings still run.
			if _, err := e.s.RunOnce(t.Context(), []string{"keep"}, false, nil); err != nil {
				t.Errorf("old source lost: %v", err)
			}
		})
	}
}

// The pool is shared: concurrent RunOnce calls stay within Concurrency.
func TestConcurrencyLimit(t *testing.T) {
	const n, limit = 6, 3
	var srcs []feeds.Source
	g := newGate(n, okDoc())
	for i := range n { // one origin each, but the same host: PerHost is high
		o := newOrigin(t)
		o.handle("/f", g.ServeHTTP)
		srcs = append(srcs, src(fmt.Sprintf("s%d", i), o.URL+"/f"))
	}
	e := newEnv(t, srcs, func(_ *scheduler.Options, s *scheduler.Settings, _ *fetch.Options) {
		s.Concurrency, s.PerHost = limit, n
	})
	var wg sync.WaitGroup
	for _, s := range srcs {
		wg.Go(func() {
			if _, err := e.s.RunOnce(context.Background(), []string{s.Name}, false, nil); err != nil {
				t.Error(err)
			}
		})
	}
	for range limit {
		<-g.arrived
	}
	for range n - limit {
		g.release <- struct{}{}
		<-g.arrived
	}
	for range limit {
		g.release <- struct{}{}
	}
	wg.Wait()
	if got := g.maxSeen.Load(); got != limit {
		t.Errorf("max in flight = %d, want concurrency=%d", got, limit)
	}
}
