package scheduler

import "time"

// Backoff after failures: the n-th consecutive failure waits a random time
// in [d/2, d], d = BackoffBase·2^(n-1) capped at BackoffMax ("equal
// jitter": the wait still grows with every failure, yet sources that failed
// together — one host down — spread out instead of retrying in lockstep).
// There is no "give up": a source failing for weeks is tried at least every
// BackoffMax.
const (
	BackoffBase = time.Minute
	BackoffMax  = 24 * time.Hour
)

// maxRetryAfter caps the server's Retry-After so that a hostile or mistaken
// value cannot stop a source for good.
const maxRetryAfter = 7 * 24 * time.Hour

// BackoffRange is the interval the wait after the n-th consecutive failure
// is drawn from; exported so tests and docs state the formula once.
func BackoffRange(failures int) (lo, hi time.Duration) {
	if failures < 1 {
		return 0, 0
	}
	d := BackoffBase
	for i := 1; i < failures && d < BackoffMax; i++ {
		d *= 2
	}
	d = min(d, BackoffMax)
	return d / 2, d
}

// backoff draws the wait after the n-th consecutive failure.
func (sc *Scheduler) backoff(failures int) time.Duration {
	lo, hi := BackoffRange(failures)
	return lo + sc.jitterN(hi-lo)
}
