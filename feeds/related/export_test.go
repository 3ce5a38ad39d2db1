package related

import (
	"fmt"
	"slices"
)

// CheckState verifies the bookkeeping the index keeps beside its lists, for
// the property tests: every live article's held count is the number of
// in-memory lists holding it, lists hold only live articles other than
// their owner, dead slots hold nothing, and every capped tag's bitset has
// exactly the slots of its posting list.
func (ix *Index) CheckState() error {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	held := make([]uint32, len(ix.arts))
	for s := range ix.arts {
		a := &ix.arts[s]
		if a.flags&flagLive == 0 {
			if a.nList != 0 || a.held != 0 {
				return fmt.Errorf("dead slot %d: %d entries, held %d", s, a.nList, a.held)
			}
			continue
		}
		for _, b := range ix.listOf(int32(s)) {
			if int(b) == s || ix.arts[b].flags&flagLive == 0 {
				return fmt.Errorf("list of %d holds slot %d (itself or dead)", a.id, b)
			}
			held[b]++
		}
	}
	for s := range ix.arts {
		if got := ix.arts[s].held; got != held[s] {
			return fmt.Errorf("slot %d (article %d): held %d, %d lists hold it", s, ix.arts[s].id, got, held[s])
		}
	}
	nCapped := 0
	for t, c := range ix.capped {
		bits, ok := ix.capBits[uint32(t)]
		if !c {
			if ok {
				return fmt.Errorf("uncapped tag %q has a bitset", ix.tagName[t])
			}
			continue
		}
		nCapped++
		if len(bits) != (len(ix.arts)+63)/64 {
			return fmt.Errorf("capped tag %q: %d words for %d slots", ix.tagName[t], len(bits), len(ix.arts))
		}
		want := make([]uint64, len(bits))
		for _, b := range ix.post[t] {
			want[b>>6] |= 1 << (b & 63)
		}
		if !slices.Equal(bits, want) {
			return fmt.Errorf("capped tag %q: bitset differs from its posting list", ix.tagName[t])
		}
	}
	if nCapped != len(ix.capBits) {
		return fmt.Errorf("%d capped tags, %d bitsets", nCapped, len(ix.capBits))
	}
	return nil
}

// Floor is the least score of a related post in the current generation.
func (ix *Index) Floor() float64 {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.floor
}
