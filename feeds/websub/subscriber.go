package websub

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/feedloom/feedloom/feeds"
)

// UpstreamStore keeps feedloom's own subscriptions; *storage.DB satisfies it.
type UpstreamStore interface {
	SaveUpstream(ctx context.Context, u feeds.Upstream) error
	DeleteUpstream(ctx context.Context, source string) error
	Upstreams(ctx context.Context) ([]feeds.Upstream, error)
}

// SubscriberOptions are the subscriber's fixed dependencies.
type SubscriberOptions struct {
	Store UpstreamStore // required
	// Ingest feeds a pushed document through the pipeline a fetch of the
	// source goes through (required).
	Ingest func(ctx context.Context, source string, body []byte, contentType string) error
	Logger *slog.Logger // nil: discard
	Now    func() time.Time
}

// SubscriberSettings are what a config reload may change.
type SubscriberSettings struct {
	// Enabled: subscribe to the hubs sources advertise. Only when feedloom
	// is reachable from the internet (a public base_url) can a hub call back.
	Enabled bool
	// CallbackBase is the absolute URL callbacks are under; a token is
	// appended ("https://news.example.org/websub/callback/").
	CallbackBase string
	Lease        time.Duration // asked for (0: the hub's choice)
	// RenewBefore is how long before its end a lease is renewed, on the
	// next fetch of the source: more than the fallback polling interval.
	RenewBefore time.Duration
	MaxBody     int64        // pushed documents larger than this are dropped
	Client      *http.Client // guarded (the hub URL comes from the feed), with a timeout
}

// retryPending is how long a subscription request waits for the hub's
// verification before it is asked for again.
const retryPending = time.Hour

// Subscriber subscribes to the hubs of sources whose feeds advertise one
// and takes their pushes at its callback route (ServeHTTP).
type Subscriber struct {
	o        SubscriberOptions
	log      *slog.Logger
	settings atomic.Pointer[SubscriberSettings]

	mu      sync.Mutex
	sources map[string]*feeds.Upstream // by source
	tokens  map[string]string          // token → source
}

// NewSubscriber returns a subscriber; Open loads its subscriptions.
func NewSubscriber(o SubscriberOptions, s SubscriberSettings) (*Subscriber, error) {
	if o.Store == nil || o.Ingest == nil {
		return nil, errors.New("websub: subscriber needs a store and an ingest")
	}
	if s.Client == nil {
		return nil, errors.New("websub: subscriber needs a client")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	sub := &Subscriber{o: o, log: o.Logger, sources: map[string]*feeds.Upstream{}, tokens: map[string]string{}}
	sub.settings.Store(&s)
	return sub, nil
}

// Apply swaps in new settings (a config reload).
func (s *Subscriber) Apply(st SubscriberSettings) error {
	if st.Client == nil {
		return errors.New("websub: subscriber needs a client")
	}
	s.settings.Store(&st)
	return nil
}

// Open loads the stored subscriptions.
func (s *Subscriber) Open(ctx context.Context) error {
	ups, err := s.o.Store.Upstreams(ctx)
	if err != nil {
		return fmt.Errorf("websub: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range ups {
		s.putLocked(u)
	}
	return nil
}

func (s *Subscriber) putLocked(u feeds.Upstream) {
	if old := s.sources[u.Source]; old != nil {
		delete(s.tokens, old.Token)
	}
	s.sources[u.Source] = &u
	s.tokens[u.Token] = u.Source
}

// Subscribed reports whether source has a verified lease running: its
// pushes arrive, so polling it can slow down.
func (s *Subscriber) Subscribed(source string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.sources[source]
	return u != nil && u.Expires.After(s.o.Now())
}

// Upstream returns the subscription of source, if any.
func (s *Subscriber) Upstream(source string) (feeds.Upstream, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.sources[source]
	if u == nil {
		return feeds.Upstream{}, false
	}
	return *u, true
}

// Observe is told, after each successful fetch of source, the hub and
// self URL its feed advertises; it subscribes, or renews a lease that
// ends within RenewBefore. "" stands for the hub or topic already known (a
// 304 has no document to tell them); a feed that stops advertising a hub
// is simply not observed, and its lease runs out.
func (s *Subscriber) Observe(ctx context.Context, source, hub, topic string) {
	st := s.settings.Load()
	if !st.Enabled {
		return
	}
	if hub == "" || topic == "" {
		cur, ok := s.Upstream(source)
		if !ok {
			return
		}
		hub, topic = cmp.Or(hub, cur.Hub), cmp.Or(topic, cur.Topic)
	}
	u, ok := s.due(source, hub, topic, st)
	if !ok {
		return
	}
	if err := s.o.Store.SaveUpstream(ctx, u); err != nil {
		s.log.Error("websub: save upstream subscription", "source", source, "error", err)
		return
	}
	s.mu.Lock()
	s.putLocked(u)
	s.mu.Unlock()
	if err := s.request(ctx, u, st); err != nil {
		s.log.Warn("websub: subscription request failed", "source", source, "hub", hub, "error", err)
		return
	}
	s.log.Info("websub: subscription requested", "source", source, "hub", hub, "topic", topic)
}

// due returns the subscription to ask for when one is due: none yet, an
// other hub or topic, a lease ending soon, or a request the hub left
// unverified for long.
func (s *Subscriber) due(source, hub, topic string, st *SubscriberSettings) (feeds.Upstream, bool) {
	now := s.o.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.sources[source]
	if cur != nil && cur.Hub == hub && cur.Topic == topic {
		switch {
		case cur.Expires.After(now.Add(st.RenewBefore)):
			return feeds.Upstream{}, false // lease running
		case now.Sub(cur.Requested) < retryPending && cur.Requested.After(cur.Expires.Add(-st.RenewBefore)):
			return feeds.Upstream{}, false // asked recently, waiting for the hub
		}
		u := *cur
		u.Requested = now
		return u, true // renewal: same callback and secret
	}
	return feeds.Upstream{Source: source, Hub: hub, Topic: topic, Token: randomToken(), Secret: randomToken(), Requested: now}, true
}

// request posts the subscription request to the hub; the hub answers 202
// and verifies with a GET to the callback later.
func (s *Subscriber) request(ctx context.Context, u feeds.Upstream, st *SubscriberSettings) error {
	form := url.Values{"hub.mode": {"subscribe"}, "hub.topic": {u.Topic}, "hub.callback": {st.CallbackBase + u.Token},
		"hub.secret": {u.Secret}}
	if st.Lease > 0 {
		form.Set("hub.lease_seconds", strconv.FormatInt(int64(st.Lease/time.Second), 10))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.Hub, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := st.Client.Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("hub answered %s: %s", resp.Status, strings.TrimSpace(string(msg)))
	}
	return nil
}

// ServeHTTP is the callback route (GET and POST …/callback/{token}): the
// hub's verification of intent, and its pushes.
func (s *Subscriber) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]
	s.mu.Lock()
	source, ok := s.tokens[token]
	var u feeds.Upstream
	if ok {
		u = *s.sources[source]
	}
	s.mu.Unlock()
	switch {
	case r.Method == http.MethodPost && !ok:
		answer(w, http.StatusGone, "no such subscription") // the hub stops pushing
	case r.Method == http.MethodPost:
		s.push(w, r, u)
	case !ok:
		answer(w, http.StatusNotFound, "no such subscription")
	default:
		s.verify(w, r, u)
	}
}

// verify answers the hub's verification of intent: the challenge when it
// names the topic asked for, and the lease it grants is recorded.
func (s *Subscriber) verify(w http.ResponseWriter, r *http.Request, u feeds.Upstream) {
	q := r.URL.Query()
	switch q.Get("hub.mode") {
	case "subscribe":
	case "denied":
		s.log.Warn("websub: hub denied the subscription", "source", u.Source, "hub", u.Hub, "reason", q.Get("hub.reason"))
		s.forget(r.Context(), u)
		answer(w, http.StatusOK, "ok")
		return
	default: // feedloom never unsubscribes: a lease it no longer wants runs out
		answer(w, http.StatusNotFound, "not asked for")
		return
	}
	lease, err := strconv.ParseInt(q.Get("hub.lease_seconds"), 10, 64)
	if q.Get("hub.topic") != u.Topic || err != nil || lease <= 0 {
		answer(w, http.StatusNotFound, "not asked for")
		return
	}
	u.Expires = s.o.Now().Add(time.Duration(lease) * time.Second)
	if err := s.o.Store.SaveUpstream(r.Context(), u); err != nil {
		s.log.Error("websub: save upstream subscription", "source", u.Source, "error", err)
		answer(w, http.StatusServiceUnavailable, "try again later")
		return
	}
	s.mu.Lock()
	s.putLocked(u)
	s.mu.Unlock()
	s.log.Info("websub: subscription verified", "source", u.Source, "hub", u.Hub, "lease", time.Duration(lease)*time.Second)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, q.Get("hub.challenge"))
}

// forget drops a subscription here and in the store.
func (s *Subscriber) forget(ctx context.Context, u feeds.Upstream) {
	s.mu.Lock()
	if cur := s.sources[u.Source]; cur != nil && cur.Token == u.Token {
		delete(s.sources, u.Source)
		delete(s.tokens, u.Token)
	}
	s.mu.Unlock()
	if err := s.o.Store.DeleteUpstream(ctx, u.Source); err != nil {
		s.log.Error("websub: delete upstream subscription", "source", u.Source, "error", err)
	}
}

// push takes one pushed document: capped, its signature checked, then
// ingested like a fetch. A bad or missing signature is acknowledged (2xx,
// as the Recommendation says, so a forger learns nothing) and dropped.
func (s *Subscriber) push(w http.ResponseWriter, r *http.Request, u feeds.Upstream) {
	st := s.settings.Load()
	body, err := io.ReadAll(io.LimitReader(r.Body, st.MaxBody+1))
	switch {
	case err != nil:
		answer(w, http.StatusBadRequest, "unreadable body")
		return
	case int64(len(body)) > st.MaxBody:
		s.log.Warn("websub: push dropped: larger than the fetch body cap", "source", u.Source, "max_body", st.MaxBody)
		answer(w, http.StatusAccepted, "dropped")
		return
	case !Verify([]byte(u.Secret), r.Header.Get("X-Hub-Signature"), body):
		s.log.Warn("websub: push dropped: bad or missing signature", "source", u.Source, "hub", u.Hub)
		answer(w, http.StatusAccepted, "dropped")
		return
	}
	if err := s.o.Ingest(r.Context(), u.Source, body, r.Header.Get("Content-Type")); err != nil {
		s.log.Warn("websub: push not ingested", "source", u.Source, "error", err)
	}
	answer(w, http.StatusAccepted, "ok")
}
