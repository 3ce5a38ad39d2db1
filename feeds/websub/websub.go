// Package websub is feedloom's side of WebSub (the W3C Recommendation):
// a hub that pushes every new version of feedloom's own feeds to the
// subscribers who asked for them, so that readers need not poll, and the
// signature checks a subscriber needs.
//
// The hub answers subscription requests at once (202) and verifies the
// subscriber's intent later, off the request, with a GET to its callback
// that must echo a random challenge. Subscriptions live in the database,
// with leases bounded by the settings. A single loop notices when the
// store's content generation moves, renders the topics that have
// subscribers, and queues a delivery for each subscriber of a document
// whose bytes changed; a fixed pool of workers makes the requests, so a
// flood of subscribers or a hanging callback cannot grow goroutines or
// memory. Failed deliveries are retried with exponential backoff a bounded
// number of times, a 410 Gone ends the subscription, and expired leases end.
//
// Callbacks are URLs that strangers choose: the caller passes an
// http.Client that refuses private addresses (feeds/fetch's guarded client).
package websub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/feedloom/feedloom/feeds"
)

// Store keeps the subscriptions; *storage.DB satisfies it.
type Store interface {
	SaveSubscription(ctx context.Context, s feeds.Subscription) error
	DeleteSubscription(ctx context.Context, topic, callback string) error
	DeleteExpiredSubscriptions(ctx context.Context, now time.Time) (int, error)
	Subscriptions(ctx context.Context) ([]feeds.Subscription, error)
}

// Document is one version of a topic's feed document.
type Document struct {
	Body        []byte // read only; may be shared with a cache
	ContentType string
	Sum         string // changes whenever Body does
}

// Options are the hub's fixed dependencies and tuning, set once.
type Options struct {
	Store Store // required
	// Render returns the current version of a topic; an error wrapping
	// feeds.ErrNotFound when the topic is not one of feedloom's feeds.
	Render func(ctx context.Context, topic string) (Document, error) // required
	// Generation changes whenever documents may have changed (the store's
	// content generation); reading it must be cheap.
	Generation func() uint64 // required
	Logger     *slog.Logger  // nil: discard
	Now        func() time.Time
	// Workers make the verification and delivery requests (0: DefaultWorkers).
	Workers int
	// Queue bounds the jobs waiting for a worker (0: DefaultQueue); a
	// subscription request finding it full is answered 503.
	Queue int
	// Poll is how often the loop looks for changed documents, retries due
	// and expired leases (0: DefaultPoll).
	Poll time.Duration
	// RetryBase is the delay before the first retry of a failed delivery,
	// doubled for each further one up to MaxRetryDelay (0: defaults).
	RetryBase     time.Duration
	MaxRetryDelay time.Duration
	// Attempts bounds the tries of one delivery (0: DefaultAttempts).
	Attempts int
}

// Settings are what a config reload may change; Apply swaps them.
type Settings struct {
	Enabled bool   // false: subscription requests are answered 404
	HubURL  string // this hub's public URL, sent as Link rel="hub" with deliveries
	// Lease is the lease of a subscriber that asks for none; requested
	// leases are bounded to [MinLease, MaxLease].
	Lease, MinLease, MaxLease time.Duration
	MaxPerTopic               int // subscriptions of one topic
	MaxPerHost                int // subscriptions whose callbacks are on one host
	MaxTotal                  int // subscriptions in all
	// IsPrivate refuses callbacks that are private IP literals when the
	// request comes, for a clear answer; nil: none refused then (private
	// callbacks allowed). The Client's own guard is the authority.
	IsPrivate func(net.IP) bool
	// Client makes the callback requests: it must refuse private
	// addresses (unless they are allowed) and have a timeout.
	Client *http.Client
}

// Defaults for Options and Settings.
const (
	DefaultWorkers       = 4
	DefaultQueue         = 256
	DefaultPoll          = 250 * time.Millisecond
	DefaultRetryBase     = 30 * time.Second
	DefaultMaxRetryDelay = time.Hour
	DefaultAttempts      = 6
	DefaultLease         = 10 * 24 * time.Hour
	DefaultMinLease      = time.Hour
	DefaultMaxLease      = 30 * 24 * time.Hour
	DefaultMaxPerTopic   = 1000
	DefaultMaxPerHost    = 50
	DefaultMaxTotal      = 10000
	// MaxSecretBytes is the longest hub.secret the Recommendation allows.
	MaxSecretBytes = 200
)

// DefaultSettings are the settings of a hub configured with nothing but
// its URL and client.
func DefaultSettings(hubURL string, client *http.Client) Settings {
	return Settings{
		Enabled: true, HubURL: hubURL, Client: client,
		Lease: DefaultLease, MinLease: DefaultMinLease, MaxLease: DefaultMaxLease,
		MaxPerTopic: DefaultMaxPerTopic, MaxPerHost: DefaultMaxPerHost, MaxTotal: DefaultMaxTotal,
	}
}

// subKey names a subscription, as the Recommendation does.
type subKey struct{ topic, callback string }

// sub is one verified subscription and the delivery it has pending.
type sub struct {
	feeds.Subscription
	host    string
	pending *Document // newest version not yet delivered; nil: none
	attempt int       // failed tries of pending
	retryAt time.Time
	busy    bool // a worker is delivering to it
}

// Hub is feedloom's WebSub hub. It is an http.Handler for subscription
// requests; Open starts its loop and workers, Close stops them.
type Hub struct {
	o        Options
	log      *slog.Logger
	settings atomic.Pointer[Settings]
	jobs     chan func(context.Context)

	mu       sync.Mutex
	subs     map[subKey]*sub
	pending  map[subKey]bool // subscriptions reserved while their intent is verified
	perTopic map[string]int  // verified and reserved, by topic
	perHost  map[string]int  // verified and reserved, by callback host
	sums     map[string]string

	gen       uint64 // loop only
	stop      context.CancelFunc
	wg        sync.WaitGroup
	closeOnce sync.Once
}

// New returns a hub with o's zero fields defaulted; Open starts it.
func New(o Options, s Settings) (*Hub, error) {
	if o.Store == nil || o.Render == nil || o.Generation == nil {
		return nil, errors.New("websub: store, render and generation are required")
	}
	if err := s.check(); err != nil {
		return nil, err
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	o.Workers = orDefault(o.Workers, DefaultWorkers)
	o.Queue = orDefault(o.Queue, DefaultQueue)
	o.Attempts = orDefault(o.Attempts, DefaultAttempts)
	o.Poll = orDefault(o.Poll, DefaultPoll)
	o.RetryBase = orDefault(o.RetryBase, DefaultRetryBase)
	o.MaxRetryDelay = orDefault(o.MaxRetryDelay, DefaultMaxRetryDelay)
	h := &Hub{
		o: o, log: o.Logger, jobs: make(chan func(context.Context), o.Queue),
		subs: map[subKey]*sub{}, pending: map[subKey]bool{},
		perTopic: map[string]int{}, perHost: map[string]int{}, sums: map[string]string{},
	}
	h.settings.Store(&s)
	return h, nil
}

// check reports settings the hub cannot run with.
func (s Settings) check() error {
	switch {
	case s.Client == nil:
		return errors.New("websub: no client")
	case s.MinLease <= 0 || s.MaxLease < s.MinLease || s.Lease < s.MinLease || s.Lease > s.MaxLease:
		return fmt.Errorf("websub: leases must satisfy 0 < min (%s) <= default (%s) <= max (%s)", s.MinLease, s.Lease, s.MaxLease)
	case s.MaxPerTopic <= 0 || s.MaxPerHost <= 0 || s.MaxTotal <= 0:
		return errors.New("websub: subscription limits must be positive")
	}
	return nil
}

// Apply swaps in new settings (a config reload); subscriptions over new,
// lower limits are kept until their leases end.
func (h *Hub) Apply(s Settings) error {
	if err := s.check(); err != nil {
		return err
	}
	h.settings.Store(&s)
	return nil
}

// Open loads the stored subscriptions and starts the loop and the
// workers, which run until Close or ctx ends.
func (h *Hub) Open(ctx context.Context) error {
	stored, err := h.o.Store.Subscriptions(ctx)
	if err != nil {
		return fmt.Errorf("websub: %w", err)
	}
	h.mu.Lock()
	for _, s := range stored {
		h.addLocked(s)
	}
	h.mu.Unlock()
	ctx, h.stop = context.WithCancel(ctx)
	h.gen = h.o.Generation()
	h.remember(ctx, h.topics()) // a restart does not redeliver what subscribers have
	h.wg.Add(1 + h.o.Workers)
	go h.loop(ctx)
	for range h.o.Workers {
		go h.work(ctx)
	}
	return nil
}

// Close stops the loop and the workers and waits for them; requests in
// flight are cancelled. Queued jobs are dropped: deliveries pending after
// a restart are not resent, the next change is.
func (h *Hub) Close() {
	h.closeOnce.Do(func() {
		if h.stop != nil {
			h.stop()
		}
		h.wg.Wait()
	})
}

// work runs queued jobs until ctx ends.
func (h *Hub) work(ctx context.Context) {
	defer h.wg.Done()
	for {
		select {
		case <-ctx.Done():
			return
		case job := <-h.jobs:
			job(ctx)
		}
	}
}

// enqueue hands job to the workers, or reports false when the queue is full.
func (h *Hub) enqueue(job func(context.Context)) bool {
	select {
	case h.jobs <- job:
		return true
	default:
		return false
	}
}

// loop checks, every Poll, for changed documents, due deliveries and
// expired leases.
func (h *Hub) loop(ctx context.Context) {
	defer h.wg.Done()
	t := time.NewTicker(h.o.Poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			h.tick(ctx)
		}
	}
}

func (h *Hub) tick(ctx context.Context) {
	now := h.o.Now()
	h.expire(ctx, now)
	if g := h.o.Generation(); g != h.gen {
		h.gen = g
		h.refresh(ctx, now)
	}
	h.dispatch(now)
}

// Count is how many verified subscriptions there are (for tests and metrics).
func (h *Hub) Count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

// Lookup returns the verified subscription of topic and callback.
func (h *Hub) Lookup(topic, callback string) (feeds.Subscription, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s, ok := h.subs[subKey{topic, callback}]
	if !ok {
		return feeds.Subscription{}, false
	}
	return s.Subscription, true
}

func orDefault[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}
