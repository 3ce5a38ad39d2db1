package websub_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/feeds/fetch"
	"github.com/feedloom/feedloom/feeds/web"
	"github.com/feedloom/feedloom/feeds/websub"
	"github.com/feedloom/feedloom/storage"
)

// *storage.DB is the store the hub is written for.
var _ websub.Store = (*storage.DB)(nil)

const (
	baseURL = "https://news.example.org/"
	hubURL  = baseURL + "websub"
	topic   = baseURL + "feeds/world.atom"
)

// t0 is the fake clock's start.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// clock is a settable clock for leases.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// logBuffer collects the hub's log lines, for tests waiting on an outcome
// that only the log shows (a failed verification).
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// fixture is feedloom's web handler and hub over a real store in
// t.TempDir(), served by an httptest server.
type fixture struct {
	t     *testing.T
	db    *storage.DB
	hub   *websub.Hub
	web   *web.Handler
	srv   *httptest.Server
	clock *clock
	log   *logBuffer
	n     int // articles ingested
}

// hubConfig adjusts the hub's options and settings before it starts.
type hubConfig func(*websub.Options, *websub.Settings)

// newFixture starts a hub whose callbacks may be on loopback, with fast
// polling and retries.
func newFixture(t *testing.T, configs ...hubConfig) *fixture {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "feedloom.db")
	db, err := storage.Open(ctx, path)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	f := &fixture{t: t, db: db, clock: &clock{t: t0}, log: &logBuffer{}}
	src := feeds.Source{Name: "alpha", URL: "https://alpha.example/rss.xml", Schedule: "@every 10m"}
	if err := db.SyncSources(ctx, []feeds.Source{src}); err != nil {
		t.Fatalf("sync sources: %v", err)
	}
	f.ingest("First story")
	o := websub.Options{
		Store:      db,
		Generation: db.Generation,
		Render: func(ctx context.Context, topic string) (websub.Document, error) {
			d, err := f.web.Document(ctx, topic)
			return websub.Document(d), err
		},
		Logger:    slog.New(slog.NewTextHandler(f.log, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:       f.clock.Now,
		Workers:   2,
		Poll:      5 * time.Millisecond,
		RetryBase: 10 * time.Millisecond,
		Attempts:  3,
	}
	s := websub.DefaultSettings(hubURL, fetch.NewGuardedClient(fetch.ClientOptions{Timeout: 2 * time.Second, AllowPrivate: true}))
	for _, c := range configs {
		c(&o, &s)
	}
	if f.hub, err = websub.New(o, s); err != nil {
		t.Fatalf("websub.New: %v", err)
	}
	f.web, err = web.New(web.Options{Store: db, WebSub: f.hub}, web.Settings{
		Title: "World Desk", BaseURL: baseURL, Hub: hubURL, Sources: []feeds.Source{src},
		Outputs: []feeds.Output{{Name: "world", Title: "World", Filter: feeds.Filter{TagsAny: []string{"world"}}}},
	})
	if err != nil {
		t.Fatalf("web.New: %v", err)
	}
	if err := f.hub.Open(ctx); err != nil {
		t.Fatalf("hub.Open: %v", err)
	}
	t.Cleanup(f.hub.Close)
	f.srv = httptest.NewServer(f.web)
	t.Cleanup(f.srv.Close)
	return f
}

// ingest stores one new article tagged world, as one fetched feed.
func (f *fixture) ingest(title string) {
	f.t.Helper()
	f.n++
	key := strings.ReplaceAll(strings.ToLower(title), " ", "-")
	now := t0.Add(time.Duration(f.n) * time.Minute)
	a := feeds.Article{ItemKey: key, GUID: "urn:test:" + key, Link: "https://alpha.example/" + key,
		LinkKey: "alpha.example/" + key, Title: title, TitleKey: strings.ToLower(title),
		Summary: "<p>" + title + "</p>", Published: now, FirstSeen: now, ContentHash: "hash-" + key, Tags: []string{"world"}}
	st := feeds.SourceState{Name: "alpha", URL: "https://alpha.example/rss.xml", LastFetch: now, LastSuccess: now, LastStatus: 200, ItemCount: 1}
	if _, err := f.db.Ingest(context.Background(), "alpha", st, []feeds.Article{a}, now); err != nil {
		f.t.Fatalf("ingest: %v", err)
	}
}

// request posts a subscription request and returns the status and body.
func (f *fixture) request(form url.Values) (int, string) {
	f.t.Helper()
	resp, err := http.PostForm(f.srv.URL+web.HubPath, form)
	if err != nil {
		f.t.Fatalf("post: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(b))
}

// subscribe asks for a subscription of topic at callback and wants 202.
func (f *fixture) subscribe(callback, secret string, lease int) {
	f.t.Helper()
	form := url.Values{"hub.mode": {"subscribe"}, "hub.topic": {topic}, "hub.callback": {callback}}
	if secret != "" {
		form.Set("hub.secret", secret)
	}
	if lease > 0 {
		form.Set("hub.lease_seconds", itoa(lease))
	}
	if code, body := f.request(form); code != http.StatusAccepted {
		f.f("subscribe: %d %s", code, body)
	}
}

func (f *fixture) f(format string, args ...any) { f.t.Helper(); f.t.Fatalf(format, args...) }

// waitFor polls cond until it holds or a deadline passes.
func (f *fixture) waitFor(what string, cond func() bool) {
	f.t.Helper()
	deadline := time.After(5 * time.Second)
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-deadline:
			f.t.Fatalf("timed out waiting for %s; hub log:\n%s", what, f.log.String())
		case <-tick.C:
		}
	}
}

// subscribed waits until the hub holds the subscription of callback.
func (f *fixture) subscribed(callback string) feeds.Subscription {
	f.t.Helper()
	var s feeds.Subscription
	f.waitFor("the subscription of "+callback, func() bool {
		var ok bool
		s, ok = f.hub.Lookup(topic, callback)
		return ok
	})
	return s
}

// stored returns the subscriptions in the database.
func (f *fixture) stored() []feeds.Subscription {
	f.t.Helper()
	subs, err := f.db.Subscriptions(context.Background())
	if err != nil {
		f.t.Fatalf("subscriptions: %v", err)
	}
	return subs
}

// verification is one intent verification a subscriber received.
type verification struct{ mode, topic, challenge, lease string }

// delivery is one content distribution request a subscriber received.
type delivery struct {
	header http.Header
	body   []byte
}

// subscriber is a WebSub subscriber on loopback: it echoes challenges
// (unless told not to), answers deliveries with the statuses queued in
// answers (then 204), and reports both on channels.
type subscriber struct {
	srv           *httptest.Server
	verifications chan verification
	deliveries    chan delivery
	mu            sync.Mutex
	answers       []int
	refuse        bool // answer verifications 404
}

func newSubscriber(t *testing.T, answers ...int) *subscriber {
	t.Helper()
	s := &subscriber{verifications: make(chan verification, 16), deliveries: make(chan delivery, 16), answers: answers}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *subscriber) serve(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if r.Method == http.MethodGet {
		s.verifications <- verification{q.Get("hub.mode"), q.Get("hub.topic"), q.Get("hub.challenge"), q.Get("hub.lease_seconds")}
		s.mu.Lock()
		refuse := s.refuse
		s.mu.Unlock()
		if refuse {
			http.NotFound(w, r)
			return
		}
		_, _ = io.WriteString(w, q.Get("hub.challenge"))
		return
	}
	body, _ := io.ReadAll(r.Body)
	s.deliveries <- delivery{r.Header.Clone(), body}
	s.mu.Lock()
	code := http.StatusNoContent
	if len(s.answers) > 0 {
		code, s.answers = s.answers[0], s.answers[1:]
	}
	s.mu.Unlock()
	w.WriteHeader(code)
}

// url is the subscriber's callback URL for a path.
func (s *subscriber) url(path string) string { return s.srv.URL + path }

// next returns what arrives on ch within a second.
func next[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(time.Second):
		t.Fatalf("no %s within a second", what)
		var zero T
		return zero
	}
}

// serveOn starts an httptest server on a given loopback address.
func serveOn(t *testing.T, addr string, h http.Handler) *httptest.Server {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen %s: %v", addr, err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

func itoa(n int) string { return strconv.Itoa(n) }
