package scheduler

import (
	"context"
	"net/url"
	"strings"
	"sync"
)

// limiter bounds the fetches in flight, in all and per host. A waiter is
// handed its slot directly by whoever releases one (no thundering herd when
// a thousand sources wait at start-up), and the limits can change while
// fetches run: a lower limit simply admits nobody until enough finish.
type limiter struct {
	mu       sync.Mutex
	total    int
	perHost  int
	inFlight int
	hosts    map[string]int
	queue    []*waiter
}

type waiter struct {
	host    string
	ready   chan struct{}
	granted bool
}

// slot is one admitted fetch. The host share is given back as soon as the
// network part is over; the global share when the whole run is (it bounds
// the memory that bodies being parsed and stored take).
type slot struct {
	l        *limiter
	host     string
	hostHeld bool
	held     bool
}

func newLimiter(total, perHost int) *limiter {
	return &limiter{total: total, perHost: perHost, hosts: map[string]int{}}
}

func (l *limiter) fits(host string) bool {
	return l.inFlight < l.total && l.hosts[host] < l.perHost
}

func (l *limiter) take(host string) {
	l.inFlight++
	l.hosts[host]++
}

// acquire waits for a slot for host, or for ctx to end.
func (l *limiter) acquire(ctx context.Context, host string) (*slot, error) {
	l.mu.Lock()
	if l.fits(host) {
		l.take(host)
		l.mu.Unlock()
		return &slot{l: l, host: host, hostHeld: true, held: true}, nil
	}
	w := &waiter{host: host, ready: make(chan struct{})}
	l.queue = append(l.queue, w)
	l.mu.Unlock()
	select {
	case <-w.ready:
		return &slot{l: l, host: host, hostHeld: true, held: true}, nil
	case <-ctx.Done():
		l.mu.Lock()
		defer l.mu.Unlock()
		if w.granted { // granted while we gave up: hand it on
			l.inFlight--
			l.dropHost(host)
			l.grant()
		} else {
			l.remove(w)
		}
		return nil, ctx.Err()
	}
}

func (l *limiter) dropHost(host string) {
	if l.hosts[host]--; l.hosts[host] <= 0 {
		delete(l.hosts, host)
	}
}

func (l *limiter) remove(w *waiter) {
	for i, q := range l.queue {
		if q == w {
			l.queue = append(l.queue[:i], l.queue[i+1:]...)
			return
		}
	}
}

// grant admits waiters, oldest first, while their host and the total
// allow. Called with mu held.
func (l *limiter) grant() {
	kept := l.queue[:0]
	for _, w := range l.queue {
		if l.fits(w.host) {
			l.take(w.host)
			w.granted = true
			close(w.ready)
			continue
		}
		kept = append(kept, w)
	}
	for i := len(kept); i < len(l.queue); i++ {
		l.queue[i] = nil
	}
	l.queue = kept
}

func (l *limiter) setLimits(total, perHost int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total, l.perHost = total, perHost
	l.grant()
}

// releaseHost gives back the host share early; idempotent.
func (s *slot) releaseHost() {
	if s == nil {
		return
	}
	s.l.mu.Lock()
	defer s.l.mu.Unlock()
	if s.hostHeld {
		s.hostHeld = false
		s.l.dropHost(s.host)
		s.l.grant()
	}
}

// release gives back whatever the slot still holds; idempotent.
func (s *slot) release() {
	if s == nil {
		return
	}
	s.l.mu.Lock()
	defer s.l.mu.Unlock()
	if s.hostHeld {
		s.hostHeld = false
		s.l.dropHost(s.host)
	}
	if s.held {
		s.held = false
		s.l.inFlight--
	}
	s.l.grant()
}

// hostOf is the politeness key of a fetch URL: the host name without port,
// lower case; every file:// URL counts as the one host "file".
func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	if strings.EqualFold(u.Scheme, "file") {
		return "file"
	}
	return strings.ToLower(u.Hostname())
}
