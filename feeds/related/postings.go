package related

import (
	"cmp"
	"math"
	"slices"
)

// before reports whether slot e sorts before (pub, id) in a posting list.
func (ix *Index) before(e uint32, pub, id int64) bool {
	b := &ix.arts[e]
	return b.pub < pub || b.pub == pub && b.id < id
}

func (ix *Index) search(pl []uint32, pub, id int64) int {
	lo, hi := 0, len(pl)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if ix.before(pl[m], pub, id) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

func (ix *Index) postInsert(t uint32, s int32) {
	a := &ix.arts[s]
	pl := ix.post[t]
	i := len(pl)
	if i > 0 && !ix.before(pl[i-1], a.pub, a.id) {
		i = ix.search(pl, a.pub, a.id)
	}
	ix.post[t] = slices.Insert(pl, i, uint32(s))
}

func (ix *Index) unpost(s int32) {
	a := &ix.arts[s]
	for _, t := range ix.tagsOf(a) {
		pl := ix.post[t]
		i := ix.search(pl, a.pub, a.id)
		if i < len(pl) && pl[i] == uint32(s) {
			pl = slices.Delete(pl, i, i+1)
			if len(pl) == 0 {
				pl = nil
			}
			ix.post[t] = pl
			ix.df[t]--
			if ix.capped[t] {
				ix.capBits[t][s>>6] &^= 1 << (s & 63)
			}
		}
	}
}

// span is the part of pl published within the window around pub.
func (ix *Index) span(pl []uint32, pub int64) []uint32 {
	if ix.window == 0 {
		return pl
	}
	lo := ix.search(pl, pub-ix.window, math.MinInt64)
	hi := ix.search(pl, pub+ix.window, math.MaxInt64)
	return pl[lo:hi]
}

// strip takes slot s out of every list holding it (marking those lists for
// recomputation). Such a list's owner shares a tag with s that was uncapped
// in the generation the list was built under, within the window; walk holds
// every tag uncapped in a generation some live list comes from. The walk
// stops once art.held lists were found, and tags are walked rarest first: a
// list usually holds s for a rare tag they share, so the long lists of
// common tags (a tenth of the store each) are seldom walked at all.
func (ix *Index) strip(s int32) {
	a := &ix.arts[s]
	if a.held == 0 {
		return
	}
	var buf [maxTags]uint32
	tags := buf[:0]
	for _, t := range ix.tagsOf(a) {
		if ix.walk[t] {
			tags = append(tags, t)
		}
	}
	slices.SortFunc(tags, func(x, y uint32) int { return cmp.Compare(len(ix.post[x]), len(ix.post[y])) })
	for _, t := range tags {
		for _, b := range ix.span(ix.post[t], a.pub) {
			bs := int32(b)
			if bs == s {
				continue
			}
			l := ix.listOf(bs)
			if i := slices.Index(l, s); i >= 0 {
				copy(l[i:], l[i+1:])
				ix.arts[bs].nList--
				ix.arts[bs].thr = -1
				ix.markRe(bs)
				if a.held--; a.held == 0 {
					return
				}
			}
		}
	}
}

// dropList empties slot s's own list.
func (ix *Index) dropList(s int32) {
	for _, b := range ix.listOf(s) {
		ix.arts[b].held--
	}
	ix.arts[s].nList = 0
}
