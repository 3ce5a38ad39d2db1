package websub_test

import (
	"bytes"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/feedloom/feedloom/feeds/websub"
)

// TestSubscribeAndDeliver is a subscriber's whole happy path: the 202,
// the verification with its challenge and lease, the stored subscription,
// and a signed delivery of the new document within a second of an ingest
// that changes it.
func TestSubscribeAndDeliver(t *testing.T) {
	f := newFixture(t)
	sub := newSubscriber(t)
	cb := sub.url("/cb?feed=world") // its own query must be kept
	f.subscribe(cb, "s3cret", 2*24*3600)

	v := next(t, sub.verifications, "verification")
	if v.mode != "subscribe" || v.topic != topic || v.lease != "172800" || len(v.challenge) < 16 {
		t.Fatalf("verification = %+v", v)
	}
	s := f.subscribed(cb)
	if want := t0.Add(48 * time.Hour); !s.Expires.Equal(want) {
		t.Errorf("lease ends %s, want %s", s.Expires, want)
	}
	if got := f.stored(); len(got) != 1 || got[0].Callback != cb || got[0].Secret != "s3cret" {
		t.Errorf("stored = %+v", got)
	}

	f.ingest("Second story")
	d := next(t, sub.deliveries, "delivery")
	if !bytes.Contains(d.body, []byte("Second story")) {
		t.Errorf("delivered body lacks the new article:\n%s", d.body)
	}
	if ct := d.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/atom+xml") {
		t.Errorf("Content-Type = %q", ct)
	}
	if sig, want := d.header.Get("X-Hub-Signature"), websub.Sign([]byte("s3cret"), d.body); sig != want {
		t.Errorf("X-Hub-Signature = %q, want %q", sig, want)
	}
	links := d.header.Values("Link")
	if !slices.Contains(links, "<"+hubURL+`>; rel="hub"`) || !slices.Contains(links, "<"+topic+`>; rel="self"`) {
		t.Errorf("Link = %q", links)
	}

	// The same document again (a write that changes nothing it shows) is
	// not redelivered; the next change is.
	f.ingest("Third story")
	if d := next(t, sub.deliveries, "delivery"); !bytes.Contains(d.body, []byte("Third story")) {
		t.Errorf("second delivery lacks the third article")
	}
}

// TestFeedLinks: feed documents advertise the hub and themselves, pages
// do not.
func TestFeedLinks(t *testing.T) {
	f := newFixture(t)
	for _, tt := range []struct {
		path  string
		links []string
	}{
		{"/feeds/world.atom", []string{"<" + hubURL + `>; rel="hub"`, "<" + topic + `>; rel="self"`}},
		{"/feeds/all.json", []string{"<" + hubURL + `>; rel="hub"`, "<" + baseURL + `feeds/all.json>; rel="self"`}},
		{"/tags/world.rss", []string{"<" + hubURL + `>; rel="hub"`, "<" + baseURL + `tags/world.rss>; rel="self"`}},
		{"/tags/world", nil},
		{"/", nil},
	} {
		t.Run(tt.path, func(t *testing.T) {
			for range 2 { // rendered, then from the cache
				resp, err := http.Get(f.srv.URL + tt.path)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if got := resp.Header.Values("Link"); !slices.Equal(got, tt.links) {
					t.Errorf("Link = %q, want %q", got, tt.links)
				}
			}
		})
	}
}

// TestRetryOn500: a failed delivery is retried with backoff until it
// succeeds; a later change is delivered as usual.
func TestRetryOn500(t *testing.T) {
	f := newFixture(t)
	sub := newSubscriber(t, http.StatusInternalServerError, http.StatusInternalServerError)
	f.subscribe(sub.url("/cb"), "", 0)
	next(t, sub.verifications, "verification")
	f.subscribed(sub.url("/cb"))
	f.ingest("Second story")
	first := next(t, sub.deliveries, "delivery")
	for i := range 2 {
		f.failures(i + 1)
		f.clock.Add(10 * time.Millisecond << i) // the backoff: RetryBase, doubled
		again := next(t, sub.deliveries, "retry")
		if !bytes.Equal(again.body, first.body) {
			t.Fatalf("retry %d sent another document", i+1)
		}
	}
	if first.header.Get("X-Hub-Signature") != "" {
		t.Errorf("a subscription without secret got a signature")
	}
}

// TestRetriesAreBounded: a callback that always fails gets Attempts
// tries of one version, then nothing until the next change.
func TestRetriesAreBounded(t *testing.T) {
	f := newFixture(t)
	sub := newSubscriber(t, 500, 500, 500, 500, 500, 500)
	f.subscribe(sub.url("/cb"), "", 0)
	next(t, sub.verifications, "verification")
	f.subscribed(sub.url("/cb"))
	f.ingest("Second story")
	for i := range 3 {
		next(t, sub.deliveries, "delivery")
		if i < 2 {
			f.failures(i + 1)
			f.clock.Add(time.Second) // past any backoff
		}
	}
	f.waitFor("the abandoned delivery", func() bool { return strings.Contains(f.log.String(), "delivery abandoned") })
	select {
	case <-sub.deliveries:
		t.Fatal("a fourth try of the same version")
	default:
	}
	if _, ok := f.hub.Lookup(topic, sub.url("/cb")); !ok {
		t.Error("failing deliveries ended the subscription; only 410 or the lease should")
	}
}

// TestGoneEndsSubscription: a 410 from the callback ends the subscription,
// in the hub and in the store.
func TestGoneEndsSubscription(t *testing.T) {
	f := newFixture(t)
	sub := newSubscriber(t, http.StatusGone)
	f.subscribe(sub.url("/cb"), "", 0)
	next(t, sub.verifications, "verification")
	f.subscribed(sub.url("/cb"))
	f.ingest("Second story")
	next(t, sub.deliveries, "delivery")
	f.waitFor("the end of the subscription", func() bool { return f.hub.Count() == 0 && len(f.stored()) == 0 })
}

// TestLeaseExpiry: a lease ends at its time (asked-for leases are bounded
// by the minimum), and a renewal before it moves the end.
func TestLeaseExpiry(t *testing.T) {
	f := newFixture(t)
	sub := newSubscriber(t)
	f.subscribe(sub.url("/cb"), "", 60) // below the minimum lease of an hour
	if v := next(t, sub.verifications, "verification"); v.lease != "3600" {
		t.Fatalf("lease_seconds = %s, want the minimum 3600", v.lease)
	}
	f.subscribed(sub.url("/cb"))

	f.clock.Add(30 * time.Minute)
	f.subscribe(sub.url("/cb"), "", 7200) // renewal
	next(t, sub.verifications, "renewal verification")
	f.waitFor("the renewed lease", func() bool {
		s, ok := f.hub.Lookup(topic, sub.url("/cb"))
		return ok && s.Expires.Equal(t0.Add(150*time.Minute))
	})
	if f.hub.Count() != 1 || len(f.stored()) != 1 {
		t.Fatalf("a renewal made a second subscription")
	}

	f.clock.Add(90 * time.Minute) // the first lease's end: the renewal holds
	f.clock.Add(time.Minute)
	if _, ok := f.hub.Lookup(topic, sub.url("/cb")); !ok {
		t.Fatal("the renewed subscription ended with the first lease")
	}
	f.clock.Add(time.Hour)
	f.waitFor("the lease to end", func() bool { return f.hub.Count() == 0 && len(f.stored()) == 0 })
	f.ingest("Second story")
	select {
	case <-sub.deliveries:
		t.Error("delivery after the lease ended")
	case <-time.After(100 * time.Millisecond): // long enough for a delivery that should not come
	}
}

// TestUnsubscribe: an unsubscription is verified too, then ends the
// subscription; one that was never verified ends nothing.
func TestUnsubscribe(t *testing.T) {
	f := newFixture(t)
	sub := newSubscriber(t)
	f.subscribe(sub.url("/cb"), "", 0)
	next(t, sub.verifications, "verification")
	f.subscribed(sub.url("/cb"))
	code, _ := f.request(url.Values{"hub.mode": {"unsubscribe"}, "hub.topic": {topic}, "hub.callback": {sub.url("/cb")}})
	if code != http.StatusAccepted {
		t.Fatalf("unsubscribe: %d", code)
	}
	if v := next(t, sub.verifications, "verification"); v.mode != "unsubscribe" {
		t.Fatalf("mode = %q", v.mode)
	}
	f.waitFor("the end of the subscription", func() bool { return f.hub.Count() == 0 && len(f.stored()) == 0 })
}

// TestRefusedVerification: a callback that does not confirm is not
// subscribed, and its room under the limits is given back.
func TestRefusedVerification(t *testing.T) {
	f := newFixture(t, func(_ *websub.Options, s *websub.Settings) { s.MaxPerHost = 1 })
	sub := newSubscriber(t)
	sub.refuse = true
	f.subscribe(sub.url("/a"), "", 0)
	next(t, sub.verifications, "verification")
	f.waitFor("the failed verification", func() bool { return strings.Contains(f.log.String(), "verification failed") })
	sub.mu.Lock()
	sub.refuse = false
	sub.mu.Unlock()
	f.subscribe(sub.url("/b"), "", 0) // the host's one slot is free again
	next(t, sub.verifications, "verification")
	f.subscribed(sub.url("/b"))
	if _, ok := f.hub.Lookup(topic, sub.url("/a")); ok {
		t.Error("a refused verification subscribed")
	}
}

// failures waits until the hub has recorded n failed deliveries (and set
// their retry times by the clock).
func (f *fixture) failures(n int) {
	f.t.Helper()
	f.waitFor("failed delivery "+itoa(n), func() bool { return strings.Count(f.log.String(), "will retry") >= n })
}
