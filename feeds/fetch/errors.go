package fetch

import (
	"errors"
	"fmt"
	"time"
)

// Error kinds, the values of Error.Kind. Callers branch on them (backoff,
// stopping a gone source, showing the admin what went wrong); the message
// is for people.
const (
	KindTimeout  = "timeout"   // the whole request, body included, took longer than Options.Timeout
	KindTooLarge = "too_large" // the body (after decompression) was larger than Options.MaxBody
	KindStatus   = "status"    // a non-2xx, non-304 answer other than 410
	KindGone     = "gone"      // 410 Gone: the origin says the feed will not come back
	KindNetwork  = "network"   // DNS, connection, TLS, reading a local file, cancellation
	KindRedirect = "redirect"  // too many redirects, or a redirect loop
	KindScheme   = "scheme"    // a URL (or a redirect target) that is not http(s) (or file for sources)
	KindBlocked  = "blocked"   // a redirect from a public origin to a private address
)

// ErrTooLarge is matched (errors.Is) by every fetch error of kind "too_large".
var ErrTooLarge = errors.New("response body too large")

// ErrGone is matched (errors.Is) by every fetch error of kind "gone", so a
// scheduler can stop the source without looking at the status code.
var ErrGone = errors.New("feed is gone (HTTP 410)")

// Error is every error Fetch returns: a Kind to branch on, the HTTP status
// when there was one, the server's Retry-After hint for 429/503, the URL
// that failed (after redirects), and the underlying cause.
type Error struct {
	Kind       string
	Status     int           // HTTP status; 0 when there was no response
	RetryAfter time.Duration // from Retry-After on 429/503; 0 when absent
	URL        string
	Err        error
}

// Error says what went wrong and where, in words an admin can act on.
func (e *Error) Error() string {
	if e.URL == "" {
		return e.Err.Error()
	}
	return fmt.Sprintf("fetch %s: %v", e.URL, e.Err)
}

// Unwrap gives errors.Is/As access to the cause (ErrTooLarge, ErrGone,
// context.DeadlineExceeded, *net.DNSError ...).
func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the Kind of a fetch error anywhere in err's chain, "" for
// nil, and "network" for any other error.
func KindOf(err error) string {
	if err == nil {
		return ""
	}
	var fe *Error
	if errors.As(err, &fe) {
		return fe.Kind
	}
	return KindNetwork
}

// causeErr is a message that also matches a sentinel with errors.Is, so the
// text can be specific ("larger than 10 MB") while callers match the
// sentinel.
type causeErr struct {
	msg      string
	sentinel error
}

func (c *causeErr) Error() string { return c.msg }
func (c *causeErr) Unwrap() error { return c.sentinel }

// tooLarge is the cause of a "too_large" error for a body limit of max bytes.
func tooLarge(max int64) error {
	return &causeErr{msg: "response body larger than " + sizeString(max), sentinel: ErrTooLarge}
}

// sizeString writes a byte count the way config.yaml spells it.
func sizeString(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KB", n>>10)
	default:
		return fmt.Sprintf("%d bytes", n)
	}
}
