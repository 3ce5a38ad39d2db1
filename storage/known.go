package storage

import (
	"context"
	"database/sql"
	"fmt"
	"hash/maphash"
	"math/bits"

	"github.com/feedloom/feedloom/feeds/dedupe"
)

// knownKeys remembers, approximately, every dedupe key the store holds: the
// (source, item key) of each carriage, each link of an article (its own and
// the ones it learned) and each title key (likewise). Most items of a busy
// pass are new, and a batch look-up for keys nobody holds still walks an
// index per key; a key the filter has never seen is certainly absent, so
// prefetch asks SQLite only about the others. It is a Bloom filter: it can
// answer "maybe" for an absent key (about 2% of them), which costs a look-up
// that finds nothing, never the reverse.
//
// It is kept under the writer lock and must hear of every key written: the
// ingester adds what it inserts (a key added by a transaction that then
// rolls back is only a wasted look-up). Rows deleted (retention, merges) stay
// in it, equally harmless. Writes by any other connection, this process's
// maintenance or another feedloom process, change SQLite's data_version on
// the write connection; sync then reloads the filter from the tables before
// it is trusted again.
//
// data_version alone would miss another process's write if database/sql
// ever replaced the write connection (a new connection counts afresh), so
// sync also compares meta.generation, which every feedloom write bumps,
// with the last bump this filter heard of (noteGeneration).
type knownKeys struct {
	seed    maphash.Seed
	ready   bool  // loaded and not invalidated since
	version int64 // PRAGMA data_version when loaded or last in sync
	gen     int64 // meta.generation after the writer's last bump
	levels  []bloomLevel
}

// The kinds of key, hashed in so that a link never matches a title.
const (
	keyItem byte = iota + 1
	keyLink
	keyTitle
	keyHead // dedupe.Head of a title key, recorded with it
)

// bloomLevel is a blocked Bloom filter: each key sets bloomBits bits of one
// 64-bit word. A full level (capacity keys) is left as it is and a level
// of twice the capacity is added, so the filter grows without a reload.
type bloomLevel struct {
	words    []uint64
	n, limit int
}

const (
	firstLevel = 1 << 16 // keys in the first level
	bitsPerKey = 12      // one word per 5.3 keys: about 2% false "maybe"
	bloomBits  = 4
)

func newLevel(limit int) bloomLevel {
	return bloomLevel{words: make([]uint64, max(1, limit*bitsPerKey/64)), limit: limit}
}

// word returns the index of h's word and the bits h sets in it.
func (l *bloomLevel) word(h uint64) (int, uint64) {
	hi, _ := bits.Mul64(h, uint64(len(l.words)))
	var mask uint64
	for i := range bloomBits {
		mask |= 1 << ((h >> (6 * i)) & 63)
	}
	return int(hi), mask
}

func (k *knownKeys) hash(kind byte, source int64, key string) uint64 {
	h := maphash.String(k.seed, key)
	h ^= uint64(kind)<<56 ^ uint64(source)*0x9e3779b97f4a7c15
	// A final mix so that kind and source reach every bit word() reads.
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	return h
}

// add records a key; the empty key is never looked up and not recorded.
func (k *knownKeys) add(kind byte, source int64, key string) {
	if key == "" || !k.ready {
		return
	}
	last := &k.levels[len(k.levels)-1]
	if last.n >= last.limit {
		k.levels = append(k.levels, newLevel(2*last.limit))
		last = &k.levels[len(k.levels)-1]
	}
	i, mask := last.word(k.hash(kind, source, key))
	last.words[i] |= mask
	last.n++
	if kind == keyTitle {
		k.add(keyHead, 0, dedupe.Head(key))
	}
}

// mayHave reports whether the store may hold the key: false only when it
// certainly does not. Before the filter is loaded everything may be there.
func (k *knownKeys) mayHave(kind byte, source int64, key string) bool {
	if !k.ready {
		return true
	}
	h := k.hash(kind, source, key)
	for i := range k.levels {
		l := &k.levels[i]
		if w, mask := l.word(h); l.words[w]&mask == mask {
			return true
		}
	}
	return false
}

// sync makes the filter trustworthy for the write transaction tx: loaded,
// and reloaded when another connection has committed since. On an error
// the filter stays unloaded, and every key "may" be there.
func (k *knownKeys) sync(ctx context.Context, tx *sql.Tx) error {
	var v, gen int64
	err := tx.QueryRowContext(ctx, `SELECT data_version, (SELECT generation FROM meta WHERE id = 1) FROM pragma_data_version`).
		Scan(&v, &gen)
	if err != nil {
		k.ready = false
		return fmt.Errorf("data version: %w", err)
	}
	if k.ready && v == k.version && gen == k.gen {
		return nil
	}
	k.levels = []bloomLevel{newLevel(firstLevel)}
	k.ready = true // add records from here on
	for _, q := range []struct {
		kind  byte
		query string
	}{
		{keyItem, `SELECT source_id, item_key FROM carriages`},
		{keyLink, `SELECT 0, link_key FROM articles WHERE link_key != ''`},
		{keyLink, `SELECT 0, link FROM article_links`},
		{keyTitle, `SELECT 0, title_key FROM articles WHERE title_key != ''`},
		{keyTitle, `SELECT 0, title_key FROM article_titles`},
	} {
		err := eachOf(tx.QueryContext(ctx, q.query))(func(rows *sql.Rows) error {
			var source int64
			var key string
			if err := rows.Scan(&source, &key); err != nil {
				return err
			}
			k.add(q.kind, source, key)
			return nil
		})
		if err != nil {
			k.ready = false
			return fmt.Errorf("load known keys: %w", err)
		}
	}
	k.version, k.gen = v, gen
	return nil
}

// noteGeneration records the generation a write of this process's writer
// just bumped meta to, so that sync does not take it for another's.
func (k *knownKeys) noteGeneration(gen int64) { k.gen = gen }
