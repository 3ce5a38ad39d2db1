package scheduler_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/feeds/fetch"
	"github.com/feedloom/feedloom/feeds/websub"
	"github.com/feedloom/feedloom/scheduler"
)

// withHub is an RSS document advertising a WebSub hub and its own URL.
func withHub(doc, hub, self string) string {
	return strings.Replace(doc, `<rss version="2.0"><channel>`,
		`<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel>`+
			`<atom:link rel="hub" href="`+hub+`"/><atom:link rel="self" href="`+self+`"/>`, 1)
}

// pushEnv is a scheduler whose WebSub subscriber subscribes at a test
// hub; the subscriber's callback route is served by an httptest server.
type pushEnv struct {
	*env
	sub     *websub.Subscriber
	origin  *origin
	hubReqs chan url.Values
	cb      *httptest.Server
	log     *syncBuffer
	self    string
}

func newPushEnv(t *testing.T) *pushEnv {
	t.Helper()
	p := &pushEnv{origin: newOrigin(t), hubReqs: make(chan url.Values, 4), log: &syncBuffer{}}
	hub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		p.hubReqs <- r.PostForm
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(hub.Close)
	p.self = "https://origin.example/feed.xml"
	doc := withHub(rss("Origin", item{GUID: "a1", Link: "https://origin.example/a1", Title: "First story", Published: base.Add(-time.Hour)}),
		hub.URL+"/hub", p.self)
	p.origin.handle("/feed.xml", serveDoc(doc, `"v1"`))
	p.cb = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { p.sub.ServeHTTP(w, r) }))
	t.Cleanup(p.cb.Close)
	p.env = newEnv(t, []feeds.Source{src("alpha", p.origin.URL+"/feed.xml")}, func(o *scheduler.Options, s *scheduler.Settings, _ *fetch.Options) {
		o.Pushes = lazyPushes{p}
		s.PushedPoll = 6 * time.Hour
	})
	var err error
	p.sub, err = websub.NewSubscriber(websub.SubscriberOptions{
		Store: p.db,
		Ingest: func(ctx context.Context, source string, body []byte, ct string) error {
			_, err := p.s.IngestPush(ctx, source, body, ct)
			return err
		},
		Logger: slog.New(slog.NewTextHandler(p.log, nil)),
		Now:    p.clock.Now,
	}, websub.SubscriberSettings{
		Enabled: true, CallbackBase: p.cb.URL + "/websub/callback/", Lease: 240 * time.Hour, RenewBefore: 24 * time.Hour,
		MaxBody: 1 << 20, Client: fetch.NewGuardedClient(fetch.ClientOptions{Timeout: 2 * time.Second, AllowPrivate: true}),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.sub.Open(t.Context()); err != nil {
		t.Fatal(err)
	}
	return p
}

// lazyPushes reaches the subscriber, which is made after the scheduler.
type lazyPushes struct{ p *pushEnv }

func (l lazyPushes) Observe(ctx context.Context, source, hub, topic string) {
	l.p.sub.Observe(ctx, source, hub, topic)
}
func (l lazyPushes) Subscribed(source string) bool { return l.p.sub.Subscribed(source) }

// hubRequest is the next subscription request the test hub got.
func (p *pushEnv) hubRequest() url.Values {
	p.t.Helper()
	select {
	case f := <-p.hubReqs:
		return f
	case <-time.After(2 * time.Second):
		p.t.Fatalf("no subscription request at the hub; log:\n%s", p.log)
		return nil
	}
}

// call makes a request to the callback and returns the status and body.
func (p *pushEnv) call(method, rawURL string, body string, header ...string) (int, string) {
	p.t.Helper()
	req, err := http.NewRequest(method, rawURL, strings.NewReader(body))
	if err != nil {
		p.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// verify plays the hub's verification of intent for the subscription form asked for.
func (p *pushEnv) verify(form url.Values, topic string) (int, string) {
	q := url.Values{"hub.mode": {"subscribe"}, "hub.topic": {topic}, "hub.challenge": {"ch4ll3nge"}, "hub.lease_seconds": {"864000"}}
	return p.call(http.MethodGet, form.Get("hub.callback")+"?"+q.Encode(), "")
}

func (p *pushEnv) titles() map[string]bool {
	out := map[string]bool{}
	for _, a := range p.articles() {
		out[a.Title] = true
	}
	return out
}

// TestWebSubSubscriber is feedloom as a subscriber against a test hub:
// discovery from the feed, the subscription request, the verification,
// slower polling while subscribed, signed pushes ingested like fetches,
// forged ones dropped, renewal before the lease ends, and normal polling
// once it lapses.
func TestWebSubSubscriber(t *testing.T) {
	p := newPushEnv(t)
	p.once(true)
	form := p.hubRequest()
	if form.Get("hub.mode") != "subscribe" || form.Get("hub.topic") != p.self || len(form.Get("hub.secret")) < 16 ||
		!strings.HasPrefix(form.Get("hub.callback"), p.cb.URL+"/websub/callback/") || form.Get("hub.lease_seconds") != "864000" {
		t.Fatalf("subscription request = %v", form)
	}
	if p.sub.Subscribed("alpha") {
		t.Fatal("subscribed before the hub verified")
	}
	if code, _ := p.verify(form, "https://other.example/feed"); code != http.StatusNotFound {
		t.Errorf("verification of another topic: %d", code)
	}
	if code, body := p.verify(form, p.self); code != http.StatusOK || body != "ch4ll3nge" {
		t.Fatalf("verification: %d %q", code, body)
	}
	if !p.sub.Subscribed("alpha") {
		t.Fatal("not subscribed after the verification")
	}

	// While pushes arrive, the source is polled every PushedPoll only.
	p.clock.Advance(time.Hour)
	hits := p.origin.hit("/feed.xml")
	if r := p.once(false)["alpha"]; !r.Skipped || r.Reason != scheduler.ReasonPushed {
		t.Errorf("a subscribed source was polled: %+v", r)
	}
	if p.origin.hit("/feed.xml") != hits {
		t.Error("the origin was fetched")
	}

	secret := []byte(form.Get("hub.secret"))
	pushed := rss("Origin", item{GUID: "a2", Link: "https://origin.example/a2", Title: "Pushed story", Published: base})
	if code, _ := p.call(http.MethodPost, form.Get("hub.callback"), pushed, "Content-Type", "application/rss+xml",
		"X-Hub-Signature", websub.Sign(secret, []byte(pushed))); code/100 != 2 {
		t.Fatalf("signed push: %d", code)
	}
	if !p.titles()["Pushed story"] {
		t.Fatal("the signed push was not ingested")
	}

	forged := rss("Origin", item{GUID: "a3", Link: "https://origin.example/a3", Title: "Forged story", Published: base})
	for _, sig := range []string{"sha256=" + strings.Repeat("0", 64), "", websub.Sign([]byte("guess"), []byte(forged)), "md5=00"} {
		if code, _ := p.call(http.MethodPost, form.Get("hub.callback"), forged, "X-Hub-Signature", sig); code/100 != 2 {
			t.Errorf("badly signed push %q: %d, want 2xx", sig, code)
		}
	}
	if p.titles()["Forged story"] {
		t.Error("a badly signed push was ingested")
	}
	if !strings.Contains(p.log.String(), "push dropped: bad or missing signature") {
		t.Errorf("no log line for the dropped push:\n%s", p.log)
	}
	if code, _ := p.call(http.MethodPost, p.cb.URL+"/websub/callback/unknown", pushed); code != http.StatusGone {
		t.Errorf("push to an unknown callback: %d, want 410", code)
	}
	huge := strings.Repeat("x", 2<<20)
	if code, _ := p.call(http.MethodPost, form.Get("hub.callback"), huge, "X-Hub-Signature", websub.Sign(secret, []byte(huge))); code/100 != 2 ||
		!strings.Contains(p.log.String(), "larger than the fetch body cap") {
		t.Errorf("oversized push: %d", code)
	}

	// Near the lease's end, the next fetch (a 304 here) renews it with
	// the same callback and secret.
	p.clock.Advance(9*24*time.Hour + 12*time.Hour)
	p.once(true)
	renewal := p.hubRequest()
	if renewal.Get("hub.callback") != form.Get("hub.callback") || renewal.Get("hub.secret") != form.Get("hub.secret") {
		t.Errorf("renewal = %v, first = %v", renewal, form)
	}

	// The hub never verified the renewal: once the lease ends, polling
	// resumes.
	p.clock.Advance(24 * time.Hour)
	if p.sub.Subscribed("alpha") {
		t.Fatal("subscribed after the lease ended")
	}
	hits = p.origin.hit("/feed.xml")
	if r := p.once(false)["alpha"]; r.Skipped {
		t.Errorf("a lapsed source was not polled: %+v", r)
	}
	if p.origin.hit("/feed.xml") != hits+1 {
		t.Error("the origin was not fetched")
	}
}
