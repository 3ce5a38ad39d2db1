package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
)

// Group commit. Fetched feeds are stored one transaction each, and in a
// burst (a cold start, many sources on one schedule) they queue for the one
// writer. A commit writes every page the transaction touched to the WAL,
// and consecutive feeds touch many of the same pages (the ends of the
// articles table and of its row-ordered indexes, each tag's newest entries,
// the tags' counts), so whoever takes the writer stores every feed queued
// by then (up to maxGroup) in one transaction: the shared pages are written
// once per group instead of once per feed. Each feed still succeeds or
// fails alone (runGroup). Each also bumps the
// generation itself, so every write keeps its own sequence number, in
// commit order.

// maxGroup bounds the feeds one transaction stores, and so how long the
// writer is held and the size of the transaction (and the memory its dirty
// pages take); larger groups gain no time.
const maxGroup = 4

// writeJob is one queued write.
type writeJob struct {
	ctx     context.Context
	fn      func(ctx context.Context, tx *sql.Tx) (content bool, err error)
	content bool
	seq, cg int64 // meta.generation and content_generation it committed
	err     error
	done    chan struct{}
}

// writeQueue holds the writes waiting for the writer.
type writeQueue struct {
	mu   sync.Mutex
	jobs []*writeJob
}

// writeGrouped runs fn as writeTxSeq does, possibly in one transaction with
// other writeGrouped calls queued at the same time. fn must use the context
// it is given: it is the caller's, but never cancelled in the middle of a
// statement (SQLite would roll back the whole transaction, every feed in
// it); the caller's cancellation is checked before fn starts. fn may run
// more than once: when another job of its group fails, the group is rolled
// back and fn runs again in a transaction of its own (runGroup), so it
// must start from scratch each time (Ingest's does).
func (db *DB) writeGrouped(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) (content bool, err error)) (int64, error) {
	j := &writeJob{ctx: ctx, fn: fn, done: make(chan struct{})}
	db.queue.mu.Lock()
	db.queue.jobs = append(db.queue.jobs, j)
	db.queue.mu.Unlock()
	db.wmu.Lock()
	defer db.wmu.Unlock()
	// Our job is in the queue or done: it was queued before wmu was taken.
	// The queue is first in, first out, and a group takes at most
	// maxGroup jobs, so ours may need more than one group.
	for {
		select {
		case <-j.done: // stored by us or by a writer before us
			return j.seq, j.err
		default:
		}
		db.queue.mu.Lock()
		n := min(len(db.queue.jobs), maxGroup)
		jobs := db.queue.jobs[:n:n]
		db.queue.jobs = append([]*writeJob(nil), db.queue.jobs[n:]...)
		db.queue.mu.Unlock()
		db.runGroup(jobs)
	}
}

// runGroup stores jobs in one transaction and ends every job (its done
// closed) with its outcome; wmu must be held. A job that fails after it may
// have written rolls the whole transaction back, and then every job is
// stored in a transaction of its own, so that only the failing one fails.
// (Each job in a savepoint of its own would do the same without the second
// round, but a savepoint copies every page the job changes into the
// statement journal first, on every group, to guard against failures that
// are rare.)
func (db *DB) runGroup(jobs []*writeJob) {
	defer func() {
		for _, j := range jobs {
			close(j.done)
		}
	}()
	if db.storeGroup(jobs) && len(jobs) > 1 {
		for _, j := range jobs {
			db.storeGroup([]*writeJob{j})
		}
	}
}

// errJobFailed rolls back a group's transaction when one of its jobs failed.
var errJobFailed = errors.New("a job of the group failed")

// storeGroup runs jobs in one transaction and sets each job's outcome. It
// reports whether a job failed after it may have written, which rolled the
// transaction back and failed every job; the caller may then retry them
// one by one.
func (db *DB) storeGroup(jobs []*writeJob) (retry bool) {
	for _, j := range jobs {
		j.err, j.seq, j.cg, j.content = nil, 0, 0, false
	}
	var failed *writeJob
	ok := 0
	err := db.rawTx(context.Background(), func(tx *sql.Tx) error {
		for _, j := range jobs {
			if err := j.ctx.Err(); err != nil {
				j.err = err // the caller gave up: nothing written
				continue
			}
			if err := db.runJob(tx, j); err != nil {
				failed = j
				return errJobFailed
			}
			ok++
		}
		return nil
	})
	if err != nil {
		for _, j := range jobs {
			switch {
			case j == failed:
			case failed != nil && j.err == nil:
				j.err = fmt.Errorf("rolled back with another feed's write: %w", failed.err)
			case j.err == nil:
				j.err = err
			}
		}
		return failed != nil
	}
	if ok == 0 {
		return false
	}
	// The bookkeeping of writeTxSeq, over the group: the content
	// generation before its first write tells whether another process
	// wrote in between; the last write's counters are the newest.
	var first, last *writeJob
	content := false
	for _, j := range jobs {
		if j.err != nil {
			continue
		}
		if first == nil {
			first = j
		}
		last = j
		content = content || j.content
	}
	prevContent := first.cg
	if first.content {
		prevContent--
	}
	db.meta.mu.Lock()
	externalContent := prevContent > db.meta.content
	db.meta.gen, db.meta.content = max(db.meta.gen, last.seq), max(db.meta.content, last.cg)
	db.meta.mu.Unlock()
	db.bump(true, content || externalContent)
	return false
}

// runJob runs one job in tx and bumps the generation for it; on failure it
// sets j.err and returns it.
func (db *DB) runJob(tx *sql.Tx, j *writeJob) error {
	ctx := context.WithoutCancel(j.ctx)
	// A job's own failure does not reach rawTx (it sees errJobFailed):
	// a local fault is classified and remembered here.
	j.err = db.faults.note(func() (err error) {
		if j.content, err = j.fn(ctx, tx); err != nil {
			return err
		}
		inc := 0
		if j.content {
			inc = 1
		}
		if err := tx.StmtContext(ctx, db.st.bump).QueryRowContext(ctx, inc).Scan(&j.seq, &j.cg); err != nil {
			return fmt.Errorf("bump generation: %w", err)
		}
		db.known.noteGeneration(j.seq)
		return nil
	}())
	return j.err
}
