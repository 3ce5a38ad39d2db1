package websub_test

import (
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/feedloom/feedloom/feeds/fetch"
	"github.com/feedloom/feedloom/feeds/web"
	"github.com/feedloom/feedloom/feeds/websub"
)

// TestBadRequests: every malformed or unacceptable subscription request
// is refused at once with a 4xx naming the problem, and verifies nothing.
func TestBadRequests(t *testing.T) {
	f := newFixture(t, func(_ *websub.Options, s *websub.Settings) { s.IsPrivate = fetch.IsPrivateAddress })
	sub := newSubscriber(t)
	cb := sub.url("/cb")
	form := func(kv ...string) url.Values {
		v := url.Values{"hub.mode": {"subscribe"}, "hub.topic": {topic}, "hub.callback": {"https://reader.example/cb"}}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	for _, tt := range []struct {
		name string
		form url.Values
		code int
		msg  string
	}{
		{"no mode", form("hub.mode", ""), 400, "hub.mode must be subscribe or unsubscribe"},
		{"publish mode", form("hub.mode", "publish"), 400, "hub.mode must be subscribe or unsubscribe"},
		{"no callback", form("hub.callback", ""), 400, "hub.callback is missing"},
		{"relative callback", form("hub.callback", "/cb"), 400, "hub.callback must be an absolute http(s) URL"},
		{"ftp callback", form("hub.callback", "ftp://reader.example/cb"), 400, "hub.callback must be an absolute http(s) URL"},
		{"callback with fragment", form("hub.callback", "https://reader.example/cb#x"), 400, "hub.callback must be an absolute http(s) URL without fragment"},
		{"huge callback", form("hub.callback", "https://reader.example/"+strings.Repeat("a", 2100)), 400, "hub.callback must be at most 2048 bytes"},
		{"loopback callback", form("hub.callback", cb), 400, "hub.callback 127.0.0.1 is a private address"},
		{"private callback", form("hub.callback", "http://10.1.2.3/cb"), 400, "hub.callback 10.1.2.3 is a private address"},
		{"metadata callback", form("hub.callback", "http://169.254.169.254/latest"), 400, "hub.callback 169.254.169.254 is a private address"},
		{"ipv6 loopback callback", form("hub.callback", "http://[::1]:8080/cb"), 400, "hub.callback ::1 is a private address"},
		{"no topic", form("hub.topic", ""), 400, "hub.topic is missing"},
		{"topic of another site", form("hub.topic", "https://evil.example/feeds/world.atom"), 400, "hub.topic \"https://evil.example/feeds/world.atom\" is not a feed published here"},
		{"topic is a page", form("hub.topic", baseURL+"articles/1"), 400, "is not a feed published here"},
		{"topic is the index", form("hub.topic", baseURL), 400, "is not a feed published here"},
		{"unknown output", form("hub.topic", baseURL+"feeds/nope.atom"), 400, "is not a feed published here"},
		{"unknown format", form("hub.topic", baseURL+"feeds/world.xml"), 400, "is not a feed published here"},
		{"unknown tag", form("hub.topic", baseURL+"tags/nosuchtag.atom"), 400, "is not a feed published here"},
		{"topic with query", form("hub.topic", topic+"?x=1"), 400, "is not a feed published here"},
		{"topic on http", form("hub.topic", "http://news.example.org/feeds/world.atom"), 400, "is not a feed published here"},
		{"long secret", form("hub.secret", strings.Repeat("s", 201)), 400, "hub.secret must be at most 200 bytes"},
		{"bad lease", form("hub.lease_seconds", "ten days"), 400, "hub.lease_seconds must be a positive integer"},
		{"negative lease", form("hub.lease_seconds", "-5"), 400, "hub.lease_seconds must be a positive integer"},
		{"huge body", form("hub.secret", strings.Repeat("s", 20<<10)), 400, "the body must be a form"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, msg := f.request(tt.form)
			if code != tt.code || !strings.Contains(msg, tt.msg) {
				t.Errorf("got %d %q, want %d %q", code, msg, tt.code, tt.msg)
			}
		})
	}
	// The longest secret allowed, and a tag's feed, are fine.
	ok := form("hub.secret", strings.Repeat("s", 200), "hub.topic", baseURL+"tags/world.atom")
	if code, msg := f.request(ok); code != http.StatusAccepted {
		t.Errorf("200-byte secret: %d %s", code, msg)
	}
	t.Run("GET", func(t *testing.T) {
		resp, err := http.Get(f.srv.URL + web.HubPath)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed && resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s = %d", web.HubPath, resp.StatusCode)
		}
	})
	select {
	case v := <-sub.verifications:
		t.Errorf("a refused request was verified: %+v", v)
	default:
	}
}

// TestFlood: subscriptions beyond the limits per topic, per callback host
// and in all are refused with 429, counting those still being verified;
// renewing a subscription needs no new room.
func TestFlood(t *testing.T) {
	f := newFixture(t, func(_ *websub.Options, s *websub.Settings) { s.MaxPerTopic, s.MaxPerHost, s.MaxTotal = 3, 5, 6 })
	sub := newSubscriber(t)
	sub2 := newSubscriber(t) // same host: 127.0.0.1
	req := func(tp, cb string) (int, string) {
		return f.request(url.Values{"hub.mode": {"subscribe"}, "hub.topic": {tp}, "hub.callback": {cb}})
	}
	for i := range 3 {
		if code, msg := req(topic, sub.url("/"+itoa(i))); code != http.StatusAccepted {
			t.Fatalf("subscription %d: %d %s", i, code, msg)
		}
	}
	if code, msg := req(topic, sub.url("/3")); code != http.StatusTooManyRequests || !strings.Contains(msg, "this topic has as many subscribers") {
		t.Errorf("4th on one topic: %d %s", code, msg)
	}
	if code, _ := req(topic, sub.url("/0")); code != http.StatusAccepted {
		t.Errorf("a renewal was refused: %d", code)
	}
	for i, tp := range []string{baseURL + "feeds/all.atom", baseURL + "feeds/all.rss"} {
		if code, msg := req(tp, sub2.url("/x")); code != http.StatusAccepted {
			t.Fatalf("other topic %d: %d %s", i, code, msg)
		}
	}
	if code, msg := req(baseURL+"feeds/all.json", sub2.url("/x")); code != http.StatusTooManyRequests || !strings.Contains(msg, "host has as many subscriptions") {
		t.Errorf("6th on one host: %d %s", code, msg)
	}
	for range 6 { // 3 subscriptions and a renewal, 2 on the other subscriber
		next(t, mergeVerifications(sub, sub2), "verification")
	}
	f.waitFor("5 subscriptions", func() bool { return f.hub.Count() == 5 })
	if n := len(f.stored()); n != 5 {
		t.Errorf("stored %d subscriptions, want 5", n)
	}
}

// mergeVerifications is the verifications of two subscribers on one channel.
func mergeVerifications(a, b *subscriber) <-chan verification {
	ch := make(chan verification, 1)
	go func() {
		select {
		case v := <-a.verifications:
			ch <- v
		case v := <-b.verifications:
			ch <- v
		case <-time.After(time.Second):
		}
	}()
	return ch
}

// TestHangingCallback: a callback that never answers holds a worker only
// until the client's timeout; with the one worker busy and the queue
// full, further requests get 503 rather than piling up.
func TestHangingCallback(t *testing.T) {
	release := make(chan struct{})
	var hung atomic.Int32
	hang := serveOn(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hung.Add(1)
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(func() { close(release) })
	f := newFixture(t, func(o *websub.Options, s *websub.Settings) {
		o.Workers, o.Queue = 1, 1
		s.Client = fetch.NewGuardedClient(fetch.ClientOptions{Timeout: 300 * time.Millisecond, AllowPrivate: true})
	})
	f.subscribe(hang.URL+"/cb", "", 0)
	f.waitFor("the worker to hang", func() bool { return hung.Load() == 1 })
	sub := newSubscriber(t)
	f.subscribe(sub.url("/queued"), "", 0) // fills the queue of 1
	code, msg := f.request(url.Values{"hub.mode": {"subscribe"}, "hub.topic": {topic}, "hub.callback": {sub.url("/third")}})
	if code != http.StatusServiceUnavailable || !strings.Contains(msg, "busy") {
		t.Errorf("with the queue full: %d %s", code, msg)
	}
	// The timeout frees the worker for the queued verification.
	next(t, sub.verifications, "queued verification")
	f.subscribed(sub.url("/queued"))
	if _, ok := f.hub.Lookup(topic, hang.URL+"/cb"); ok {
		t.Error("the hanging callback was subscribed")
	}
	if !strings.Contains(f.log.String(), "Timeout") && !strings.Contains(f.log.String(), "deadline") {
		t.Errorf("the log does not say the callback timed out:\n%s", f.log.String())
	}
}

// TestPrivateCallbacks: with the default address guard, a callback whose
// name resolves to loopback is refused when dialled, and a public
// callback (played by 127.0.0.1) redirecting to a private address
// (127.0.0.2) is refused at the redirect; the private server sees nothing.
func TestPrivateCallbacks(t *testing.T) {
	var privateHits atomic.Int32
	private := serveOn(t, "127.0.0.2:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		privateHits.Add(1)
		_, _ = w.Write([]byte(r.URL.Query().Get("hub.challenge")))
	}))
	t.Run("name resolving to loopback", func(t *testing.T) {
		f := newFixture(t, func(_ *websub.Options, s *websub.Settings) {
			s.IsPrivate = fetch.IsPrivateAddress
			s.Client = fetch.NewGuardedClient(fetch.ClientOptions{Timeout: 2 * time.Second})
		})
		_, port, _ := net.SplitHostPort(private.Listener.Addr().String())
		f.subscribe("http://localhost:"+port+"/cb", "", 0)
		f.waitFor("the refusal", func() bool { return strings.Contains(f.log.String(), "private address refused") })
		if f.hub.Count() != 0 {
			t.Error("subscribed a loopback callback")
		}
	})
	t.Run("redirect to a private address", func(t *testing.T) {
		only2 := func(ip net.IP) bool { return ip.Equal(net.IPv4(127, 0, 0, 2)) }
		f := newFixture(t, func(_ *websub.Options, s *websub.Settings) {
			s.IsPrivate = only2
			s.Client = fetch.NewGuardedClient(fetch.ClientOptions{Timeout: 2 * time.Second, Private: only2})
		})
		public := serveOn(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, private.URL+"/cb?"+r.URL.RawQuery, http.StatusFound)
		}))
		f.subscribe(public.URL+"/cb", "", 0)
		f.waitFor("the refusal", func() bool { return strings.Contains(f.log.String(), "private address refused") })
		if f.hub.Count() != 0 {
			t.Error("subscribed through a redirect to a private address")
		}
		if code, msg := f.request(url.Values{"hub.mode": {"subscribe"}, "hub.topic": {topic}, "hub.callback": {private.URL + "/cb"}}); code != http.StatusBadRequest {
			t.Errorf("private literal callback: %d %s", code, msg)
		}
	})
	if n := privateHits.Load(); n != 0 {
		t.Errorf("the private server got %d requests", n)
	}
}
