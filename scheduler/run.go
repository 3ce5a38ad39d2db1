package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/robfig/cron/v3"
)

// entry is one source's cron entry, remembered to diff on Apply, with the
// (jittered) schedule it runs, so that Next need not ask cron.
type entry struct {
	id    cron.EntryID
	spec  string
	url   string
	sched cron.Schedule
}

// maxJitter bounds the random offset of each source's cron entry.
const maxJitter = 30 * time.Second

// ErrRunning is returned by Run when the Scheduler is already running.
var ErrRunning = errors.New("scheduler: already running")

// Run schedules every source until ctx ends: one cron entry per source,
// every due source once at start when Options.OnStart, and retention every
// Settings.RetentionEvery. When ctx ends it stops scheduling, waits up to
// Options.Grace for the fetches in flight, then cancels them and waits for
// them to return. It returns nil after such a shutdown.
func (sc *Scheduler) Run(ctx context.Context) error {
	if !sc.running.CompareAndSwap(false, true) {
		return ErrRunning
	}
	defer sc.running.Store(false)
	set := sc.settings()
	if err := sc.store.SyncSources(ctx, set.Sources); err != nil {
		return fmt.Errorf("scheduler: sync sources: %w", err)
	}
	sc.loadFailing(ctx)

	// Jobs outlive ctx by the grace period; shutdown cancels them after it.
	jobCtx, cancelJobs := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelJobs()

	c := cron.New(cron.WithLogger(cronLogger{sc.log}))
	sc.jobsMu.Lock()
	sc.stopping = false
	sc.jobsMu.Unlock()
	sc.cronMu.Lock()
	sc.cron, sc.jobCtx, sc.entries = c, jobCtx, map[string]entry{}
	sc.cronMu.Unlock()
	sc.reschedule(set)
	c.Start()
	sc.log.Info("scheduler started", "sources", len(set.Sources), "on_start", sc.onStart)

	if sc.onStart {
		for _, src := range set.Sources {
			sc.spawn(func() { sc.tick(jobCtx, src.Name) })
		}
	}
	sc.spawn(func() { sc.retentionLoop(ctx) })
	sc.spawn(func() { sc.rescoreLoop(ctx) })

	<-ctx.Done()
	sc.cronMu.Lock()
	sc.cron, sc.jobCtx, sc.entries = nil, nil, map[string]entry{}
	sc.cronMu.Unlock()
	cronDone := c.Stop()
	sc.jobsMu.Lock()
	sc.stopping = true
	sc.jobsMu.Unlock()

	done := make(chan struct{})
	go func() {
		sc.jobs.Wait()
		<-cronDone.Done()
		close(done)
	}()
	grace := time.NewTimer(sc.grace)
	defer grace.Stop()
	select {
	case <-done:
	case <-grace.C:
		sc.log.Warn("cancelling fetches still running after the grace period", "grace", sc.grace)
		cancelJobs()
		<-done
	}
	// Lists a cancelled fetch left dirty; a failure here only costs a
	// recomputation at the next start (new lists are pending in the store).
	if err := sc.saveUnsaved(context.WithoutCancel(ctx)); err != nil {
		sc.log.Warn("related lists not saved at shutdown", "error", err)
	}
	sc.log.Info("scheduler stopped")
	return nil
}

// spawn runs fn as a tracked job unless shutdown has begun.
func (sc *Scheduler) spawn(fn func()) {
	sc.jobsMu.Lock()
	if sc.stopping {
		sc.jobsMu.Unlock()
		return
	}
	sc.jobs.Add(1)
	sc.jobsMu.Unlock()
	go func() {
		defer sc.jobs.Done()
		fn()
	}()
}

// tick is one scheduled run of a source: skipped quietly when it is not
// due or still running from the previous tick.
func (sc *Scheduler) tick(ctx context.Context, name string) {
	res := sc.runSource(ctx, name, false, nil)
	if res.Skipped {
		sc.log.Debug("fetch skipped", "source", name, "reason", res.Reason, "until", res.Until)
	}
}

// cronJob is what a cron entry runs: a tracked tick under the job context.
func (sc *Scheduler) cronJob(name string) cron.Job {
	return cron.FuncJob(func() {
		sc.cronMu.Lock()
		ctx := sc.jobCtx
		sc.cronMu.Unlock()
		if ctx == nil {
			return
		}
		sc.jobsMu.Lock()
		if sc.stopping {
			sc.jobsMu.Unlock()
			return
		}
		sc.jobs.Add(1)
		sc.jobsMu.Unlock()
		defer sc.jobs.Done()
		sc.tick(ctx, name)
	})
}

// reschedule makes the cron entries match set: new sources get an entry,
// removed ones lose theirs, and a changed schedule or URL replaces it.
// Nothing happens while Run is not running; Run calls it at start.
func (sc *Scheduler) reschedule(set *settings) {
	sc.cronMu.Lock()
	defer sc.cronMu.Unlock()
	if sc.cron == nil {
		return
	}
	for _, name := range sortedNames(sc.entries) {
		e := sc.entries[name]
		src, ok := set.byName[name]
		if ok && src.Schedule == e.spec && src.URL == e.url {
			continue
		}
		sc.cron.Remove(e.id)
		delete(sc.entries, name)
	}
	now := time.Now()
	for _, src := range set.Sources {
		if _, ok := sc.entries[src.Name]; ok {
			continue
		}
		sched := set.schedules[src.Name]
		off := sc.jitterN(min(maxJitter, period(sched, now)/10))
		j := jittered(sched, off, now)
		id := sc.cron.Schedule(j, sc.cronJob(src.Name))
		sc.entries[src.Name] = entry{id: id, spec: src.Schedule, url: src.URL, sched: j}
	}
}

// Next is when the source's cron entry fires next; false when Run is not
// running or the source is unknown. /sources shows the later of this and
// the stored NextAttempt, for every source in one render, so it costs one
// map look-up: it computes the entry's next firing from its schedule, as
// cron does, rather than calling cron.Entry, which copies every entry (a
// /sources of 10,000 sources took 5 s that way).
func (sc *Scheduler) Next(name string) (time.Time, bool) {
	sc.cronMu.Lock()
	e, ok := sc.entries[name]
	running := sc.cron != nil
	sc.cronMu.Unlock()
	if !ok || !running || e.sched == nil {
		return time.Time{}, false
	}
	next := e.sched.Next(time.Now())
	return next, !next.IsZero()
}

// period estimates a schedule's interval from two consecutive firings.
func period(s cron.Schedule, now time.Time) time.Duration {
	if c, ok := s.(cron.ConstantDelaySchedule); ok {
		return c.Delay
	}
	a := s.Next(now)
	return s.Next(a).Sub(a)
}

// jittered shifts a schedule by off, so sources that share a spec do not
// all fire in the same second.
func jittered(s cron.Schedule, off time.Duration, now time.Time) cron.Schedule {
	if c, ok := s.(cron.ConstantDelaySchedule); ok {
		// "@every" counts from when it was added; anchor its grid at
		// now+off so the offset holds for every firing, not just the first.
		return everySchedule{delay: c.Delay, anchor: now.Add(off)}
	}
	return offsetSchedule{inner: s, off: off}
}

// offsetSchedule fires off after each firing of inner.
type offsetSchedule struct {
	inner cron.Schedule
	off   time.Duration
}

func (o offsetSchedule) Next(t time.Time) time.Time {
	return o.inner.Next(t.Add(-o.off)).Add(o.off)
}

// everySchedule fires at anchor + k·delay, k ≥ 1.
type everySchedule struct {
	delay  time.Duration
	anchor time.Time
}

func (e everySchedule) Next(t time.Time) time.Time {
	if t.Before(e.anchor) {
		return e.anchor.Add(e.delay)
	}
	k := t.Sub(e.anchor)/e.delay + 1
	return e.anchor.Add(k * e.delay)
}

// retentionLoop applies retention at start and every RetentionEvery.
func (sc *Scheduler) retentionLoop(ctx context.Context) {
	for {
		if _, err := sc.Retain(ctx); err != nil && ctx.Err() == nil {
			sc.log.Warn("retention failed", "error", err)
		}
		t := time.NewTimer(sc.settings().RetentionEvery)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// rescoreEvery is how often Run brings stale related lists (after a new
// weight generation) up to date.
const rescoreEvery = 30 * time.Second

// rescoreLoop recomputes stale related lists until ctx ends.
func (sc *Scheduler) rescoreLoop(ctx context.Context) {
	t := time.NewTicker(rescoreEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := sc.rescore(ctx); err != nil && ctx.Err() == nil {
			sc.log.Warn("related rescore failed", "error", err)
		}
	}
}

// loadFailing initialises the sources_failing gauge from stored state.
func (sc *Scheduler) loadFailing(ctx context.Context) {
	states, err := sc.store.SourceStates(ctx)
	if err != nil {
		sc.log.Warn("read source states", "error", err)
		return
	}
	set := sc.settings()
	for _, st := range states {
		if _, ok := set.byName[st.Name]; ok {
			sc.setFailing(st.Name, st.Failures > 0 || st.Gone)
			sc.metrics.backoff(st.Name, st.Failures, st.NextAttempt)
		}
	}
}

// cronLogger sends cron's own messages to slog (its Info at debug level).
type cronLogger struct{ l *slog.Logger }

func (c cronLogger) Info(msg string, kv ...any) { c.l.Debug("cron: "+msg, kv...) }
func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error("cron: "+msg, append(kv, "error", err)...)
}
