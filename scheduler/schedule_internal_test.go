package scheduler

import (
	"testing"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/feedloom/feedloom/feeds"
)

// A jittered entry keeps its schedule's period and is shifted by its
// offset, for cron specs and for "@every".
func TestJittered(t *testing.T) {
	now := time.Date(2025, 6, 2, 12, 7, 3, 0, time.UTC)
	tests := []struct {
		spec   string
		off    time.Duration
		first  time.Time
		period time.Duration
	}{
		{"*/15 * * * *", 17 * time.Second, time.Date(2025, 6, 2, 12, 15, 17, 0, time.UTC), 15 * time.Minute},
		{"@hourly", 29 * time.Second, time.Date(2025, 6, 2, 13, 0, 29, 0, time.UTC), time.Hour},
		{"@every 10m", 5 * time.Second, now.Add(10*time.Minute + 5*time.Second), 10 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			s, err := cron.ParseStandard(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			if got := period(s, now); got != tt.period {
				t.Errorf("period = %v, want %v", got, tt.period)
			}
			j := jittered(s, tt.off, now)
			first := j.Next(now)
			if !first.Equal(tt.first) {
				t.Errorf("first = %v, want %v", first, tt.first)
			}
			// cron asks again just after each firing: the period holds.
			next := j.Next(first.Add(time.Millisecond))
			if got := next.Sub(first); got != tt.period {
				t.Errorf("second firing %v after the first, want %v", got, tt.period)
			}
		})
	}
}

func TestSkipReason(t *testing.T) {
	now := time.Date(2025, 6, 2, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		st     stateArgs
		reason string
	}{
		{"fresh source", stateArgs{}, ""},
		{"gone", stateArgs{gone: true}, ReasonGone},
		{"backoff", stateArgs{failures: 2, next: now.Add(time.Second)}, ReasonBackoff},
		{"backoff over", stateArgs{failures: 2, next: now}, ""},
		{"max-age far", stateArgs{next: now.Add(time.Hour)}, ReasonNotDue},
		{"max-age within slack", stateArgs{next: now.Add(hintSlack - time.Second)}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reason, _, skip := skipReason(tt.st.state(), now)
			if reason != tt.reason || skip != (tt.reason != "") {
				t.Errorf("skipReason = %q, %v; want %q", reason, skip, tt.reason)
			}
		})
	}
}

type stateArgs struct {
	gone     bool
	failures int
	next     time.Time
}

func (a stateArgs) state() feeds.SourceState {
	return feeds.SourceState{Gone: a.gone, Failures: a.failures, NextAttempt: a.next}
}
