package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/feedloom/feedloom/feeds"
)

func openInternal(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "g.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	return db
}

// TestGroupJobsFailAlone runs one group of four writes: the second fails
// after writing, the third's caller has given up. Only their own writes
// are lost; the others commit, each with its own sequence number, in order.
func TestGroupJobsFailAlone(t *testing.T) {
	db := openInternal(t)
	ctx := context.Background()
	insert := func(name string, fail error) func(context.Context, *sql.Tx) (bool, error) {
		return func(ctx context.Context, tx *sql.Tx) (bool, error) {
			if _, err := tx.ExecContext(ctx, `INSERT INTO tags (name) VALUES (?)`, name); err != nil {
				return false, err
			}
			return true, fail
		}
	}
	gone, cancel := context.WithCancel(ctx)
	cancel()
	boom := errors.New("boom")
	jobs := []*writeJob{
		{ctx: ctx, fn: insert("first", nil)},
		{ctx: ctx, fn: insert("failed", boom)},
		{ctx: gone, fn: insert("cancelled", nil)},
		{ctx: ctx, fn: insert("last", nil)},
	}
	for _, j := range jobs {
		j.done = make(chan struct{})
	}
	before := db.WriteSeq()
	gen := db.Generation()
	db.wmu.Lock()
	db.runGroup(jobs)
	db.wmu.Unlock()
	for i, j := range jobs {
		select {
		case <-j.done:
		default:
			t.Errorf("job %d not ended", i)
		}
	}
	if jobs[0].err != nil || jobs[3].err != nil {
		t.Fatalf("good jobs failed: %v, %v", jobs[0].err, jobs[3].err)
	}
	if !errors.Is(jobs[1].err, boom) || !errors.Is(jobs[2].err, context.Canceled) {
		t.Errorf("errors = %v, %v; want boom and context.Canceled", jobs[1].err, jobs[2].err)
	}
	if !(before < jobs[0].seq && jobs[0].seq < jobs[3].seq) || db.WriteSeq() != jobs[3].seq {
		t.Errorf("seqs %d, %d after %d (WriteSeq %d): want increasing, the last one current",
			jobs[0].seq, jobs[3].seq, before, db.WriteSeq())
	}
	if db.Generation() == gen {
		t.Error("Generation unchanged after content writes")
	}
	var names []string
	rows, err := db.w.QueryContext(ctx, `SELECT name FROM tags ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	if !slices.Equal(names, []string{"first", "last"}) {
		t.Errorf("stored %v, want [first last]", names)
	}
}

// TestGroupedIngestsConcurrent: many feeds stored at once (grouped as they
// queue) all arrive whole, each with its own sequence number. With more
// feeds waiting than a group takes, a writer's own feed may not be in the
// first group it runs (it must run groups until its own is stored).
func TestGroupedIngestsConcurrent(t *testing.T) {
	db := openInternal(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	const feedsN, items = 64, 5
	var wg sync.WaitGroup
	seqs := make([]int64, feedsN)
	errs := make([]error, feedsN)
	for f := range feedsN {
		wg.Go(func() {
			var arts []feeds.Article
			for i := range items {
				k := fmt.Sprintf("f%d-%d", f, i)
				arts = append(arts, feeds.Article{ItemKey: k, GUID: k, Link: "https://x.example/" + k, LinkKey: "x.example/" + k,
					Title: "story " + k + " about the harbour strike", TitleKey: "story " + k + " about the harbour strike",
					Published: now, ContentHash: k, Tags: []string{"ports", fmt.Sprintf("region-%d", f%3)}})
			}
			res, err := db.Ingest(ctx, fmt.Sprint("src-", f), feeds.SourceState{URL: "https://x.example/feed"}, arts, now)
			seqs[f], errs[f] = res.Seq, err
			if err == nil && res.New != items {
				errs[f] = fmt.Errorf("new = %d, want %d", res.New, items)
			}
		})
	}
	wg.Wait()
	for f, err := range errs {
		if err != nil {
			t.Fatalf("feed %d: %v", f, err)
		}
	}
	slices.Sort(seqs)
	if len(slices.Compact(slices.Clone(seqs))) != feedsN {
		t.Errorf("sequence numbers %v are not distinct", seqs)
	}
	st, err := db.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Articles != feedsN*items || st.Carriages != feedsN*items {
		t.Errorf("stored %d articles, %d carriages; want %d each", st.Articles, st.Carriages, feedsN*items)
	}
}

// TestGroupOwnJobLater: when more writes wait than one group takes, the
// writer whose own write is not in the first group runs groups until it is
// stored, and every caller gets its own write's outcome. Whichever caller
// takes the writer first leads, so the scenario is repeated.
func TestGroupOwnJobLater(t *testing.T) {
	db := openInternal(t)
	ctx := context.Background()
	const waiting = maxGroup + 2
	for round := range 10 {
		db.wmu.Lock()
		var wg sync.WaitGroup
		seqs := make([]int64, waiting)
		errs := make([]error, waiting)
		for i := range waiting {
			wg.Go(func() {
				seqs[i], errs[i] = db.writeGrouped(ctx, func(ctx context.Context, tx *sql.Tx) (bool, error) {
					_, err := tx.ExecContext(ctx, `INSERT INTO tags (name) VALUES (?)`, fmt.Sprintf("r%d-%d", round, i))
					return true, err
				})
			})
		}
		for queued := 0; queued < waiting; runtime.Gosched() { // every write queued behind the held writer
			db.queue.mu.Lock()
			queued = len(db.queue.jobs)
			db.queue.mu.Unlock()
		}
		db.wmu.Unlock()
		wg.Wait()
		for i := range waiting {
			if errs[i] != nil || seqs[i] == 0 {
				t.Fatalf("round %d, write %d: seq %d, err %v; want its own committed write", round, i, seqs[i], errs[i])
			}
		}
		if len(slices.Compact(slices.Sorted(slices.Values(seqs)))) != waiting {
			t.Fatalf("round %d: sequence numbers %v not distinct", round, seqs)
		}
	}
}
