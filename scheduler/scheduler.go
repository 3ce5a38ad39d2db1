// Package scheduler is feedloom's ingestion engine: it decides when each
// source is fetched (cron entries with jitter, a bounded pool with a
// per-host limit, backoff, Retry-After, 410 Gone, the feed's own caching
// hints), runs the per-source pipeline fetch → parse → normalise → tag →
// store → relate, and applies retention.
//
// The daemon (`feedloom serve`) drives it with Run and Apply; the one-shot
// `feedloom fetch` uses RunOnce, which goes through exactly the same
// per-source code path and honours the same stored state.
//
// It does not import storage: it declares the few storage methods it needs
// as Store, which *storage.DB satisfies.
package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/feeds/fetch"
	"github.com/feedloom/feedloom/feeds/normalize"
	"github.com/feedloom/feedloom/feeds/related"
	"github.com/feedloom/feedloom/feeds/tag"
)

// Store is the part of the database the scheduler needs. *storage.DB
// satisfies it; the scheduler never imports storage so that the import
// graph keeps pointing toward feeds.
type Store interface {
	SyncSources(ctx context.Context, sources []feeds.Source) error
	SourceState(ctx context.Context, name string) (feeds.SourceState, error)
	SourceStates(ctx context.Context) ([]feeds.SourceState, error)
	SaveFetchState(ctx context.Context, st feeds.SourceState) error
	Ingest(ctx context.Context, source string, st feeds.SourceState, arts []feeds.Article, now time.Time) (feeds.IngestResult, error)
	ArticleTagsByIDs(ctx context.Context, ids []int64, fn func(feeds.IndexEntry) error) error
	EachArticleTags(ctx context.Context, fn func(feeds.IndexEntry) error) error
	PendingRelated(ctx context.Context) ([]int64, error)
	SaveRelated(ctx context.Context, lists map[int64][]feeds.RelatedPost) error
	Prune(ctx context.Context, maxAge time.Duration, maxPerSource int, now time.Time, batch int) ([]int64, error)
	WriteSeq() int64 // the newest committed write's IngestResult.Seq (or later)
}

// Named defaults, used where Settings or Options leave a field zero.
const (
	DefaultConcurrency    = 16
	DefaultPerHost        = 2
	DefaultRetentionEvery = time.Hour
	DefaultGrace          = 5 * time.Second
	pruneBatch            = 500
)

// Retention is how long articles are kept; zero fields mean "no limit".
type Retention struct {
	MaxAge       time.Duration // drop articles published longer ago than this
	MaxPerSource int           // keep only the newest N articles per source
}

// Settings is everything a config reload can change. Apply swaps a new
// Settings in atomically; New takes the first one.
type Settings struct {
	Sources     []feeds.Source // Schedule must be the effective cron spec
	Tagger      *tag.Tagger    // nil: source tags and categories only, no rules
	Fetcher     *fetch.Fetcher // nil: keep Options.Fetcher (timeout, body cap, user agent live here)
	Concurrency int            // fetches in flight in all (default 16)
	PerHost     int            // fetches in flight per host (default 2)
	Retention   Retention
	// RetentionEvery is how often Run applies Retention (default 1h).
	RetentionEvery time.Duration
	// PushedPoll is how often a source whose hub pushes to feedloom is
	// still polled, in case pushes go missing (0: as usual).
	PushedPoll time.Duration
}

// Pushes is the WebSub subscriber as the scheduler sees it.
type Pushes interface {
	// Observe is told the hub and self URL a fetched feed advertises;
	// after a 304, "" for what the headers did not say (unchanged).
	Observe(ctx context.Context, source, hub, topic string)
	// Subscribed reports whether pushes of source are arriving (a lease runs).
	Subscribed(source string) bool
}

// Options are the long-lived collaborators, fixed for the Scheduler's life.
type Options struct {
	Store      Store          // required
	Fetcher    *fetch.Fetcher // required unless every Settings carries one
	Normalizer *normalize.Normalizer
	Related    *related.Index // nil: related lists are left pending
	Logger     *slog.Logger   // nil: discard
	Metrics    *Metrics       // nil: no metrics
	Now        func() time.Time
	Rand       *rand.Rand    // source of jitter; nil: seeded from the clock
	OnStart    bool          // Run fetches every due source at start-up
	Grace      time.Duration // how long Run waits for fetches in flight at shutdown (default 5s)
	// Pushes is the WebSub subscriber: told the hub each fetched feed
	// advertises, and asked which sources it has a lease for. nil: none.
	Pushes Pushes
}

// Result is what one source's run did, for logs, `feedloom fetch`'s table
// and tests.
type Result struct {
	Source    string
	Status    int // HTTP status; 0 when there was no response
	New       int
	Updated   int
	Duplicate int
	TooOld    int // items left out as older than retention.max_age
	Err       error
	Skipped   bool      // not fetched: backoff, Retry-After, feed hints, Gone or already running
	Reason    string    // why it was skipped: "gone", "backoff", "not_due", "running"
	Until     time.Time // when a skipped source is next due (zero for gone/running)
	// LastError is, for a source skipped while failing (backoff, gone), the
	// error of its last attempt; Status is then that attempt's status.
	LastError string
	Duration  time.Duration
	Bytes     int64
}

// Failing reports whether the source is broken after this run: it failed,
// or it was skipped because it is backing off after failures or gone. A
// source stays failing until an attempt succeeds, so that `feedloom fetch`
// run by cron keeps exiting 1 while a source is broken.
func (r Result) Failing() bool {
	return r.Err != nil || r.Skipped && (r.Reason == ReasonBackoff || r.Reason == ReasonGone)
}

// Progress is reported by RunOnce after every source, so a terminal can
// show a live line.
type Progress struct {
	Done, Total, New, Errors int
	Last                     Result
}

// ErrUnknownSource is returned by RunOnce for names that are not configured.
var ErrUnknownSource = errors.New("unknown source")

// settings is a validated Settings plus what is derived from it.
type settings struct {
	Settings
	byName map[string]feeds.Source
	// sourceTags are every source's tags as the tagger spells them: they
	// say where an article came from, so related posts never compare them.
	sourceTags map[string]bool
	schedules  map[string]cron.Schedule
}

// Scheduler runs sources on their schedules. Its methods are safe for
// concurrent use.
type Scheduler struct {
	store   Store
	norm    *normalize.Normalizer
	log     *slog.Logger
	metrics *Metrics
	now     func() time.Time
	onStart bool
	grace   time.Duration
	fetcher *fetch.Fetcher
	pushes  Pushes

	randMu sync.Mutex
	rng    *rand.Rand

	cur     atomic.Pointer[settings]
	applyMu sync.Mutex // serialises Apply

	pool    *limiter
	running atomic.Bool

	busyMu sync.Mutex
	busy   map[string]bool // sources being run now

	jobsMu   sync.Mutex
	jobs     sync.WaitGroup
	stopping bool

	cronMu  sync.Mutex
	cron    *cron.Cron
	entries map[string]entry
	jobCtx  context.Context

	rel       relater       // the related index and its write-behind to the store
	storing   atomic.Int64  // fetches holding a pool slot (fetching or storing)
	cpuSlots  chan struct{} // parse and normalise: one per core at a time
	failingMu sync.Mutex
	failing   map[string]bool
}

// New checks the options and the first settings and returns a Scheduler
// that is not yet running.
func New(o Options, s Settings) (*Scheduler, error) {
	if o.Store == nil {
		return nil, errors.New("scheduler: Options.Store is required")
	}
	if o.Fetcher == nil && s.Fetcher == nil {
		return nil, errors.New("scheduler: a Fetcher is required")
	}
	sc := &Scheduler{
		store:    o.Store,
		norm:     o.Normalizer,
		rel:      relater{index: o.Related},
		log:      o.Logger,
		metrics:  o.Metrics,
		now:      o.Now,
		onStart:  o.OnStart,
		grace:    o.Grace,
		fetcher:  o.Fetcher,
		pushes:   o.Pushes,
		rng:      o.Rand,
		busy:     map[string]bool{},
		cpuSlots: make(chan struct{}, runtime.GOMAXPROCS(0)),
		entries:  map[string]entry{},
		failing:  map[string]bool{},
	}
	if sc.norm == nil {
		sc.norm = normalize.New()
	}
	if sc.log == nil {
		sc.log = slog.New(slog.DiscardHandler)
	}
	if sc.now == nil {
		sc.now = time.Now
	}
	if sc.grace <= 0 {
		sc.grace = DefaultGrace
	}
	if sc.rng == nil {
		seed := uint64(time.Now().UnixNano())
		sc.rng = rand.New(rand.NewPCG(seed, seed>>1|1))
	}
	set, err := sc.prepare(s)
	if err != nil {
		return nil, err
	}
	sc.cur.Store(set)
	sc.pool = newLimiter(set.Concurrency, set.PerHost)
	return sc, nil
}

// prepare validates s and fills in defaults, off to the side of the
// running settings.
func (sc *Scheduler) prepare(s Settings) (*settings, error) {
	set := &settings{Settings: s, byName: map[string]feeds.Source{}, schedules: map[string]cron.Schedule{},
		sourceTags: map[string]bool{}}
	set.Sources = append([]feeds.Source(nil), s.Sources...)
	if set.Concurrency <= 0 {
		set.Concurrency = DefaultConcurrency
	}
	if set.PerHost <= 0 {
		set.PerHost = DefaultPerHost
	}
	if set.RetentionEvery <= 0 {
		set.RetentionEvery = DefaultRetentionEvery
	}
	if set.Fetcher == nil {
		set.Fetcher = sc.fetcher
	}
	if cur := sc.cur.Load(); set.Fetcher == nil && cur != nil {
		set.Fetcher = cur.Fetcher
	}
	if set.Tagger == nil {
		t, err := tag.New(nil, nil)
		if err != nil {
			return nil, fmt.Errorf("scheduler: default tagger: %w", err)
		}
		set.Tagger = t
	}
	var errs []error
	for _, src := range set.Sources {
		if src.Name == "" {
			errs = append(errs, errors.New("source with an empty name"))
			continue
		}
		if _, dup := set.byName[src.Name]; dup {
			errs = append(errs, fmt.Errorf("source %q: duplicate name", src.Name))
			continue
		}
		set.byName[src.Name] = src
		for _, t := range src.Tags {
			if tg := set.Tagger.Tag(t); tg != "" {
				set.sourceTags[tg] = true
			}
		}
		sched, err := cron.ParseStandard(src.Schedule)
		if err != nil {
			errs = append(errs, fmt.Errorf("source %q: schedule %q: %w", src.Name, src.Schedule, err))
			continue
		}
		set.schedules[src.Name] = sched
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("scheduler: %w", err)
	}
	return set, nil
}

// Apply is a config reload: the new settings are validated and the
// sources synchronised with the store before anything is swapped, so a
// failure leaves the running settings untouched. Cron entries are added,
// removed or rescheduled; the tagger, fetcher and limits change at once for
// every fetch that starts afterwards.
func (sc *Scheduler) Apply(ctx context.Context, s Settings) error {
	sc.applyMu.Lock()
	defer sc.applyMu.Unlock()
	set, err := sc.prepare(s)
	if err != nil {
		return err
	}
	if err := sc.store.SyncSources(ctx, set.Sources); err != nil {
		return fmt.Errorf("scheduler: sync sources: %w", err)
	}
	old := sc.cur.Swap(set)
	sc.pool.setLimits(set.Concurrency, set.PerHost)
	sc.reschedule(set)
	sc.fetchNewSources(old, set)
	for name := range old.byName {
		if _, ok := set.byName[name]; !ok {
			sc.metrics.forget(name)
			sc.setFailing(name, false)
		}
	}
	sc.log.Info("scheduler settings applied", "sources", len(set.Sources),
		"concurrency", set.Concurrency, "per_host", set.PerHost)
	return nil
}

// fetchNewSources fetches, right away, the sources a reload added or
// pointed at a new URL, when Run is running with OnStart: an admin who adds
// a feed expects to see it without waiting for its first cron tick.
func (sc *Scheduler) fetchNewSources(old, set *settings) {
	if !sc.onStart {
		return
	}
	sc.cronMu.Lock()
	jobCtx := sc.jobCtx
	sc.cronMu.Unlock()
	if jobCtx == nil {
		return
	}
	for _, src := range set.Sources {
		if prev, ok := old.byName[src.Name]; ok && prev.URL == src.URL {
			continue
		}
		sc.spawn(func() { sc.tick(jobCtx, src.Name) })
	}
}

// Running reports whether Run is scheduling, for /healthz.
func (sc *Scheduler) Running() bool { return sc.running.Load() }

// settings returns the current settings.
func (sc *Scheduler) settings() *settings { return sc.cur.Load() }

// jitterN returns a uniform random duration in [0, max].
func (sc *Scheduler) jitterN(max time.Duration) time.Duration {
	if max <= 0 {
		return 0
	}
	sc.randMu.Lock()
	defer sc.randMu.Unlock()
	return time.Duration(sc.rng.Int64N(int64(max) + 1))
}

// tryStart marks a source busy; false when it is already being run.
func (sc *Scheduler) tryStart(name string) bool {
	sc.busyMu.Lock()
	defer sc.busyMu.Unlock()
	if sc.busy[name] {
		return false
	}
	sc.busy[name] = true
	return true
}

func (sc *Scheduler) finish(name string) {
	sc.busyMu.Lock()
	delete(sc.busy, name)
	sc.busyMu.Unlock()
}

// setFailing keeps the sources_failing gauge in step with stored state.
func (sc *Scheduler) setFailing(name string, failing bool) {
	sc.failingMu.Lock()
	defer sc.failingMu.Unlock()
	if failing {
		sc.failing[name] = true
	} else {
		delete(sc.failing, name)
	}
	sc.metrics.setFailing(len(sc.failing))
}
