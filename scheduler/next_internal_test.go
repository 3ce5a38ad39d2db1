package scheduler

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/feedloom/feedloom/feeds"
)

// Next is asked once per source by every render of /sources: with
// thousands of sources scheduled it must cost a look-up, not a copy of
// every cron entry (cron.Entry snapshots them all through the running
// cron's goroutine, about 100 bytes an entry, so a page was quadratic).
func TestNextCostsNoCopyOfTheEntries(t *testing.T) {
	const n = 2000
	srcs := make([]feeds.Source, n)
	for i := range srcs {
		srcs[i] = feeds.Source{Name: fmt.Sprintf("s%04d", i), URL: fmt.Sprintf("https://h%d.example/feed", i), Schedule: "@every 10m"}
	}
	sc := &Scheduler{entries: map[string]entry{}, rng: rand.New(rand.NewPCG(1, 2))}
	set, err := sc.prepare(Settings{Sources: srcs})
	if err != nil {
		t.Fatal(err)
	}
	c := cron.New()
	sc.cron = c
	sc.reschedule(set)
	c.Start()
	defer c.Stop()

	now := time.Now()
	next, ok := sc.Next("s0042")
	if !ok || next.Before(now.Add(10*time.Minute)) || next.After(now.Add(10*time.Minute+maxJitter+time.Second)) {
		t.Fatalf("Next = %v, %v; want 10 minutes from now plus at most %v of jitter", next, ok, maxJitter)
	}
	if _, ok := sc.Next("unknown"); ok {
		t.Error("Next of an unknown source is ok")
	}

	const calls = 200
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := range calls {
		if _, ok := sc.Next(srcs[i%n].Name); !ok {
			t.Fatalf("Next(%s) not ok", srcs[i%n].Name)
		}
	}
	runtime.ReadMemStats(&after)
	// TotalAlloc also counts the cron goroutine and any test running in
	// parallel, so the bound is loose: a copy of 2,000 entries is over
	// 150 KB a call, a look-up allocates nothing.
	if per := (after.TotalAlloc - before.TotalAlloc) / calls; per > 32<<10 {
		t.Errorf("Next allocates %d bytes a call with %d sources scheduled; want a look-up, not a copy of the entries", per, n)
	}
}
