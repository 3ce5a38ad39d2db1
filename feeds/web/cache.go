package web

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
)

// cache holds rendered documents by the URL path they answer
// ("/feeds/all.atom", "/tags/syria", "/articles/12", "/"), so that a poll
// finds its document before any routing. A hit is lock-free (sync.Map
// reads write nothing shared) and stamps the entry's last use only when it
// is not already the most recently used one, so that polls of one hot feed
// from both cores do not fight over a cache line; the caller decides
// validity (generation and settings). It is bounded in entries and bytes:
// per-tag feeds and article pages are unbounded in number, so when a put
// goes over a bound, stale entries and then the least recently used go
// first, down to 7/8 of the bound.
type cache struct {
	m          sync.Map   // key → *doc
	mu         sync.Mutex // serialises put and evict, and guards the counts
	entries    int
	bytes      int64
	maxEntries int
	maxBytes   int64
	clock      atomic.Int64
}

func newCache(maxEntries int, maxBytes int64) *cache {
	return &cache{maxEntries: maxEntries, maxBytes: maxBytes}
}

// get returns the document cached under key, valid or not, or nil.
func (c *cache) get(key string) *doc {
	v, ok := c.m.Load(key)
	if !ok {
		return nil
	}
	d := v.(*doc)
	if d.used.Load() != c.clock.Load() {
		d.used.Store(c.clock.Add(1))
	}
	return d
}

// put stores d under d.key, replacing what was there, then evicts if a
// bound is exceeded. A document bigger than an eighth of the byte bound is
// not kept (it is still served). valid tells stale entries, which go first.
func (c *cache) put(d *doc, valid func(*doc) bool) {
	sz := d.size()
	if sz > c.maxBytes/8 {
		return
	}
	d.used.Store(c.clock.Add(1))
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.m.Swap(d.key, d); ok {
		c.bytes -= old.(*doc).size()
	} else {
		c.entries++
	}
	c.bytes += sz
	if c.entries > c.maxEntries || c.bytes > c.maxBytes {
		c.evict(valid)
	}
}

// evict drops stale entries, then the least recently used, until the cache
// is at 7/8 of both bounds. Called with mu held; O(n log n) but only on a
// put that overflowed, which is a render anyway and amortised over n/8 puts.
func (c *cache) evict(valid func(*doc) bool) {
	type cand struct {
		d     *doc
		stale bool
		used  int64
	}
	all := make([]cand, 0, c.entries)
	c.m.Range(func(_, v any) bool {
		d := v.(*doc)
		all = append(all, cand{d, !valid(d), d.used.Load()})
		return true
	})
	slices.SortFunc(all, func(a, b cand) int {
		if a.stale != b.stale {
			if a.stale {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.used, b.used)
	})
	entries, bytes := c.maxEntries-c.maxEntries/8, c.maxBytes-c.maxBytes/8
	for _, x := range all {
		if c.entries <= entries && c.bytes <= bytes {
			break
		}
		c.m.Delete(x.d.key)
		c.entries--
		c.bytes -= x.d.size()
	}
}

// flight makes concurrent misses for the same key render once: the first
// caller renders, the others wait for its result (or for their own context
// to end). A tiny version of golang.org/x/sync/singleflight, which is not a
// direct dependency of the module.
type flight struct {
	mu    sync.Mutex
	calls map[string]*call
}

type call struct {
	done chan struct{}
	d    *doc
	err  error
}

// errRenderPanic is what waiters get when the render they waited on panicked.
var errRenderPanic = errors.New("render panicked")

// do runs fn once for key among concurrent callers. Waiters stop waiting
// when done is closed (their request ended) and get errCanceled.
func (f *flight) do(done <-chan struct{}, key string, fn func() (*doc, error)) (*doc, error) {
	f.mu.Lock()
	if c, ok := f.calls[key]; ok {
		f.mu.Unlock()
		select {
		case <-c.done:
			return c.d, c.err
		case <-done:
			return nil, errCanceled
		}
	}
	if f.calls == nil {
		f.calls = make(map[string]*call)
	}
	c := &call{done: make(chan struct{}), err: errRenderPanic}
	f.calls[key] = c
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		delete(f.calls, key)
		f.mu.Unlock()
		close(c.done)
	}()
	d, err := fn()
	if err != nil {
		err = fmt.Errorf("render %s: %w", key, err)
	}
	c.d, c.err = d, err
	return d, err
}
