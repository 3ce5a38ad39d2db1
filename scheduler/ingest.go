package scheduler

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/feeds/fetch"
	"github.com/feedloom/feedloom/feeds/normalize"
	"github.com/feedloom/feedloom/feeds/parse"
	"github.com/feedloom/feedloom/feeds/tag"
	"github.com/feedloom/feedloom/feeds/websub"
)

// Skip reasons reported in Result.Reason.
const (
	ReasonGone    = "gone"    // the origin said 410; fetched again when the source's config changes
	ReasonBackoff = "backoff" // failing: exponential backoff or Retry-After
	ReasonNotDue  = "not_due" // the feed's own hints (max-age, ttl) say it is still fresh
	ReasonRunning = "running" // a run of the same source is in flight
	ReasonPushed  = "pushed"  // its WebSub hub pushes new versions; polled at Settings.PushedPoll
)

// runSource is the one per-source code path, shared by cron ticks, on_start
// and RunOnce. It never panics: a panic anywhere below becomes the source's
// error. known is the source's stored state when the caller has just read
// it (RunOnce); nil reads it from the store.
func (sc *Scheduler) runSource(ctx context.Context, name string, force bool, known *feeds.SourceState) (res Result) {
	res.Source = name
	set := sc.settings()
	src, ok := set.byName[name]
	if !ok {
		res.Err = fmt.Errorf("%w: %q", ErrUnknownSource, name)
		return res
	}
	if !sc.tryStart(name) {
		res.Skipped, res.Reason = true, ReasonRunning
		return res
	}
	defer sc.finish(name)
	defer func() {
		if p := recover(); p != nil {
			sc.log.Error("fetch panicked", "source", name, "panic", p, "stack", string(debug.Stack()))
			res.Err = fmt.Errorf("internal error: %v", p)
		}
	}()

	var st feeds.SourceState
	var err error
	if known != nil {
		st = *known
	} else {
		st, err = sc.store.SourceState(ctx, name)
	}
	if errors.Is(err, feeds.ErrNotFound) || (err == nil && st.Name == "") {
		st, err = feeds.SourceState{Name: name, URL: src.URL}, nil
	}
	if err != nil {
		res.Err = fmt.Errorf("load state of %s: %w", name, err)
		sc.log.Warn("fetch", "source", name, "error", res.Err)
		return res
	}
	if !force {
		if reason, until, skip := sc.skipReason(set, st, sc.now()); skip {
			res.Skipped, res.Reason, res.Until = true, reason, until
			if res.Failing() { // not retried yet is not fixed: say what is still wrong
				res.Status, res.LastError = st.LastStatus, st.LastError
			}
			return res
		}
	}

	slot, err := sc.pool.acquire(ctx, hostOf(st.FetchURL()))
	if err != nil {
		res.Err = fmt.Errorf("wait for a fetch slot: %w", err)
		return res
	}
	defer slot.release()

	began := time.Now()
	sc.storing.Add(1)
	res = sc.ingest(ctx, set, src, st, slot)
	res.Duration = time.Since(began)
	slot.release()
	if sc.storing.Add(-1) == 0 {
		// The last fetch in flight writes the related lists the others
		// left dirty (see relate), before its line is logged.
		if err := sc.saveUnsaved(ctx); err != nil {
			sc.log.Warn("related update failed", "source", name, "error", err)
		}
	}
	sc.record(res)
	return res
}

// hintSlack lets a cron tick fetch a source whose hint-based NextAttempt is
// a few seconds away: the hint is measured from when the last request
// started, which is a little after the tick that started it, so an exact
// comparison would skip every other tick of a schedule equal to max-age.
// It never shortens backoff or Retry-After.
const hintSlack = 30 * time.Second

// skipReason is the package's skipReason, and a source whose pushes
// arrive is only polled every PushedPoll.
func (sc *Scheduler) skipReason(set *settings, st feeds.SourceState, now time.Time) (string, time.Time, bool) {
	if reason, until, skip := skipReason(st, now); skip {
		return reason, until, skip
	}
	if set.PushedPoll > 0 && sc.pushes != nil && sc.pushes.Subscribed(st.Name) {
		if until := st.LastFetch.Add(set.PushedPoll); now.Add(hintSlack).Before(until) {
			return ReasonPushed, until, true
		}
	}
	return "", time.Time{}, false
}

// skipReason says whether a source is not due at now, and until when.
func skipReason(st feeds.SourceState, now time.Time) (reason string, until time.Time, skip bool) {
	switch {
	case st.Gone:
		return ReasonGone, time.Time{}, true
	case st.Failures > 0 && now.Before(st.NextAttempt):
		return ReasonBackoff, st.NextAttempt, true
	case st.Failures == 0 && now.Add(hintSlack).Before(st.NextAttempt):
		return ReasonNotDue, st.NextAttempt, true
	}
	return "", time.Time{}, false
}

// ingest fetches one source and stores what it got. The slot's host share
// is given back as soon as the network part is over.
func (sc *Scheduler) ingest(ctx context.Context, set *settings, src feeds.Source, st feeds.SourceState, slot *slot) Result {
	res := Result{Source: src.Name}
	started := sc.now()
	prev := st
	st.LastFetch = started
	resp, err := set.Fetcher.Fetch(ctx, fetch.Request{URL: st.FetchURL(), ETag: st.ETag, LastModified: st.LastModified})
	slot.releaseHost()
	if err != nil {
		if ctx.Err() != nil { // shutdown or the caller gave up: not the origin's fault
			res.Err = fmt.Errorf("fetch %s: %w", src.Name, ctx.Err())
			return res
		}
		return sc.fail(ctx, st, res, err, fetch.KindOf(err))
	}
	res.Status, res.Bytes = resp.Status, resp.Bytes
	if resp.PermanentURL != "" {
		st.RedirectURL = resp.PermanentURL
	}
	if resp.NotModified {
		if resp.ETag != "" {
			st.ETag = resp.ETag
		}
		if resp.LastModified != "" {
			st.LastModified = resp.LastModified
		}
		st = succeeded(st, resp.Status, started, resp.MaxAge)
		if err := sc.store.SaveFetchState(ctx, st); err != nil {
			res.Err = fmt.Errorf("save state of %s: %w", src.Name, err)
		}
		if sc.pushes != nil { // an unchanged feed advertises what it did: a lease is renewed all the same
			hub, self := websub.Discover(resp.Links, nil)
			sc.pushes.Observe(ctx, src.Name, hub, self)
		}
		sc.setFailing(src.Name, false)
		sc.metrics.backoff(src.Name, 0, st.NextAttempt)
		return res
	}

	base := resp.FinalURL
	if base == "" {
		base = st.FetchURL()
	}
	now := sc.now()
	feed, arts, tooOld, err := sc.parseItems(set, src, resp.Body, resp.ContentType, base, now)
	hub, self := "", ""
	if sc.pushes != nil && err == nil {
		hub, self = websub.Discover(resp.Links, resp.Body)
	}
	// Parsing copied what it kept: the bytes go back to the fetcher's pool
	// before the (possibly long) wait for the writer.
	resp.Release()
	if err != nil {
		st.LastStatus = resp.Status
		return sc.fail(ctx, st, res, fmt.Errorf("parse feed: %w", err), "parse")
	}
	res.TooOld = tooOld
	if len(feed.Items) == 0 && prev.ItemCount > 0 {
		sc.log.Warn("feed parsed to no items", "source", src.Name, "previous_items", prev.ItemCount, "url", base)
	}
	st.ETag, st.LastModified = resp.ETag, resp.LastModified
	st.ItemCount = len(feed.Items)
	st.Language = feed.Language
	st.FeedTitle = normalize.Title(feed.Title)
	st = succeeded(st, resp.Status, started, max(resp.MaxAge, feed.TTL))
	ir, err := sc.store.Ingest(ctx, src.Name, st, arts, now)
	if errors.Is(err, feeds.ErrStoreFault) {
		// The disk is full, read-only or failing: not the source's fault.
		// No backoff and no error stored on it (the store could not take
		// them anyway); the next attempt fetches the document again.
		res.Status = resp.Status
		res.Err = kindErr{kind: "local", err: fmt.Errorf("store articles: %w", err)}
		return res
	}
	if err != nil {
		// Keep the old validators so that the next attempt fetches the
		// document again instead of getting a 304 for what was never stored.
		prev.LastFetch, prev.LastStatus = started, resp.Status
		return sc.fail(ctx, prev, res, fmt.Errorf("store articles: %w", err), "store")
	}
	res.New, res.Updated, res.Duplicate = ir.New, ir.Updated, ir.Duplicate
	sc.setFailing(src.Name, false)
	sc.metrics.backoff(src.Name, 0, st.NextAttempt)
	if err := sc.relate(ctx, ir); err != nil {
		// The lists stay pending in the store; BuildIndex computes them later.
		sc.log.Warn("related update failed", "source", src.Name, "error", err)
	}
	if hub != "" {
		if self == "" {
			self = base
		}
		sc.pushes.Observe(ctx, src.Name, hub, self)
	}
	return res
}

// parseItems parses a fetched document and normalises its items. Both only
// use CPU, and a parsed document can take many times its size: at most one
// per core at a time keeps the memory of the fetches in flight near the
// size of their bodies (16 hostile feeds at once cannot each build a
// parse.MaxCost tree), at no cost in speed.
func (sc *Scheduler) parseItems(set *settings, src feeds.Source, body []byte, contentType, base string, now time.Time) (*feeds.Feed, []feeds.Article, int, error) {
	sc.cpuSlots <- struct{}{}
	defer func() { <-sc.cpuSlots }()
	feed, err := parse.Parse(body, contentType, base)
	if err != nil {
		return nil, nil, 0, err
	}
	arts, tooOld := sc.articles(set, src, feed, now)
	return feed, arts, tooOld, nil
}

// articles normalises and tags a fetched document's items, leaving out (and
// counting) those older than retention.max_age.
func (sc *Scheduler) articles(set *settings, src feeds.Source, feed *feeds.Feed, now time.Time) (arts []feeds.Article, tooOld int) {
	items := feed.Items
	all := sc.norm.Articles(feed, now) // item keys and link identity are the whole document's
	arts = make([]feeds.Article, 0, len(items))
	// Items older than retention.max_age are not stored: retention would
	// delete them within the hour, and the next 200 would store them again.
	var oldest time.Time
	if set.Retention.MaxAge > 0 {
		oldest = now.Add(-set.Retention.MaxAge)
	}
	var undated []int // indexes in arts of the items without a date, in the feed's order
	anchor := now.UTC()
	for i, it := range items {
		a := all[i]
		dated := normalize.Dated(it, now)
		if dated && a.Published.Before(oldest) {
			tooOld++
			continue
		}
		a.Tags = set.Tagger.Tags(src.Tags, it.Categories, a)
		a.Terms = set.Tagger.Terms(tag.TermText{Title: a.Title, Summary: a.Summary, Content: a.Content,
			Language: feed.Language})
		a.Categories = dedupe(it.Categories) // kept so that `feedloom retag` can re-derive Tags
		if !dated {
			undated = append(undated, len(arts))
		} else if a.Published.Before(anchor) {
			anchor = a.Published
		}
		arts = append(arts, a)
	}
	if !oldest.IsZero() {
		// Not so far down that retention would drop them: they would come
		// back with the next 200 and go again within the hour.
		floor := oldest.Add(time.Duration(len(undated)+1) * undatedStep)
		if anchor.Before(floor) && floor.Before(now) {
			anchor = floor
		}
	}
	placeUndated(arts, undated, anchor)
	return arts, tooOld
}

// undatedStep separates the undated items of one fetch.
const undatedStep = time.Second

// placeUndated dates the items that came without a date just below the
// oldest dated item of the same fetch (anchor; now when there is none), a
// step apart in the feed's order. Dated "now", a first fetch of an undated
// feed would fill the top of every output and of the index above the news
// of the day. (articles lifts the anchor just inside retention.max_age
// when the oldest dated item is at its edge.) The store keeps an article's
// first Published, so the place is stable across refetches; it is never
// in the future.
func placeUndated(arts []feeds.Article, undated []int, anchor time.Time) {
	for j, k := range undated {
		p := anchor.Add(-time.Duration(j+1) * undatedStep)
		arts[k].Published, arts[k].Updated = p, p
	}
}

// dedupe returns ss without empty and repeated strings, in order. It is
// linear: an item may carry a hundred thousand categories.
func dedupe(ss []string) []string {
	var out []string
	seen := make(map[string]bool, min(len(ss), 64))
	for _, s := range ss {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// maxHint caps what a feed's max-age or ttl can impose, so a hostile or
// mistaken "max-age=31536000" cannot silence a source for a year.
const maxHint = 24 * time.Hour

// succeeded resets the failure state after a 200 or 304.
func succeeded(st feeds.SourceState, status int, started time.Time, hint time.Duration) feeds.SourceState {
	st.LastStatus = status
	st.LastSuccess = started
	st.LastError = ""
	st.Failures = 0
	st.Gone = false
	st.NextAttempt = started.Add(min(max(hint, 0), maxHint))
	return st
}

// fail records a failed attempt: backoff, Retry-After, Gone.
func (sc *Scheduler) fail(ctx context.Context, st feeds.SourceState, res Result, err error, kind string) Result {
	now := sc.now()
	res.Err = err
	if _, isFetch := errors.AsType[*fetch.Error](err); !isFetch && kind != "" {
		res.Err = kindErr{kind: kind, err: err}
	}
	st.Failures++
	st.LastError = err.Error()
	var fe *fetch.Error
	if errors.As(err, &fe) {
		st.LastStatus = fe.Status
		res.Status = fe.Status
	}
	wait := sc.backoff(st.Failures)
	if fe != nil && fe.RetryAfter > 0 {
		wait = max(wait, min(fe.RetryAfter, maxRetryAfter))
	}
	st.NextAttempt = now.Add(wait)
	if errors.Is(err, fetch.ErrGone) || kind == "gone" {
		st.Gone = true
		sc.log.Warn("source is gone; not fetched until its config changes", "source", st.Name, "url", st.FetchURL())
	}
	if serr := sc.store.SaveFetchState(ctx, st); serr != nil {
		res.Err = errors.Join(err, fmt.Errorf("save state of %s: %w", st.Name, serr))
	}
	sc.setFailing(st.Name, true)
	sc.metrics.backoff(st.Name, st.Failures, st.NextAttempt)
	res.Until = st.NextAttempt
	return res
}

// record logs one line per fetch and counts it.
func (sc *Scheduler) record(res Result) {
	attrs := []any{"source", res.Source, "status", res.Status, "new", res.New, "updated", res.Updated,
		"duplicate", res.Duplicate, "bytes", res.Bytes, "duration", res.Duration.Round(time.Millisecond)}
	if res.TooOld > 0 {
		attrs = append(attrs, "too_old", res.TooOld)
	}
	switch {
	case errors.Is(res.Err, context.Canceled):
		sc.log.Info("fetch cancelled", attrs...) // shutdown or the caller gave up: not the origin's fault
	case errors.Is(res.Err, feeds.ErrStoreFault):
		sc.log.Error("local store failure, the source is not backed off", append(attrs, "error", res.Err)...)
	case res.Err != nil:
		sc.log.Warn("fetch", append(attrs, "error", res.Err)...)
	default:
		sc.log.Info("fetch", attrs...)
	}
	outcome := strconv.Itoa(res.Status)
	if res.Err != nil {
		outcome = outcomeOf(res.Err)
	}
	sc.metrics.fetched(res, outcome)
}

// outcomeOf is the metrics label of a failed fetch: the fetch error kind,
// or "parse"/"store" for what went wrong after a good response, "local"
// for a local store failure (disk full, read-only, I/O, corruption).
func outcomeOf(err error) string {
	var fe *fetch.Error
	switch {
	case errors.As(err, &fe):
		return fe.Kind
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "canceled"
	}
	var k kindErr
	if errors.As(err, &k) {
		return k.kind
	}
	return "error"
}

// kindErr labels a non-fetch failure for metrics.
type kindErr struct {
	kind string
	err  error
}

func (k kindErr) Error() string { return k.err.Error() }
func (k kindErr) Unwrap() error { return k.err }
