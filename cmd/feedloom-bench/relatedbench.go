package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/feedloom/feedloom/feeds/related"
)

// relatedResult holds what runRelatedBench measured, for the related
// section of the report and BenchmarkRelated. feeds/related's exported API
// is all it needs.
type relatedResult struct {
	Articles, Tags, Capped int
	PutAll                 time.Duration // Put of every article (posting lists)
	Rebuild                time.Duration // every list from scratch, all cores
	HeapBytes              int64         // live heap growth from building the index
	EstimateBytes          int64         // Stats().Bytes
	InsertMedian           time.Duration // Put + Refresh of one new article, its list and the lists it joins
	InsertP99              time.Duration
	InsertMax              time.Duration
	ListsPerInsert         float64 // lists Refresh returned per new article, itself included
	QueryMedian, QueryP99  time.Duration
	RemoveMedian           time.Duration // Remove + Refresh of one article
	RemoveP99              time.Duration
}

// Synthetic corpus shape (the benchmark).
const (
	benchTags    = 50_000
	benchTerms   = 300_000 // distinct key terms (tags.auto) in a store of a million news articles
	benchPerArt  = 12      // key terms an article keeps (tags.auto.max's default)
	benchWords   = 20_000
	benchSpan    = 365 * 24 * time.Hour
	benchWindow  = 720 * time.Hour
	benchSamples = 1000
)

// relatedCorpus generates articles with what the index compares of a news
// article: 2–4 Zipf-distributed tags (categories and rules, 50k distinct)
// and 12 Zipf-distributed key terms (300k distinct), titles of 6–10 random
// words and publication dates spread over a year, deterministically from a
// seed, one at a time so the corpus itself takes no memory.
type relatedCorpus struct {
	r     *rand.Rand
	z     *rand.Zipf
	zt    *rand.Zipf
	tags  []string
	terms []string
	words []string
	start time.Time
}

func newRelatedCorpus(seed int64) *relatedCorpus {
	r := rand.New(rand.NewPCG(uint64(seed), 0x5eed))
	c := &relatedCorpus{r: r, z: rand.NewZipf(r, 1.1, 1, benchTags-1),
		start: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
	c.zt = rand.NewZipf(r, 1.05, 1, benchTerms-1)
	for i := range benchTags {
		c.tags = append(c.tags, fmt.Sprintf("tag-%d", i))
	}
	for i := range benchTerms {
		c.terms = append(c.terms, fmt.Sprintf("term-%d", i))
	}
	for i := range benchWords {
		c.words = append(c.words, fmt.Sprintf("w%d", i))
	}
	return c
}

func (c *relatedCorpus) article(buf []string) (title string, tags []string) {
	tags = buf[:0]
	for k := 2 + c.r.IntN(3); len(tags) < k; {
		if t := c.tags[c.z.Uint64()]; !slices.Contains(tags, t) {
			tags = append(tags, t)
		}
	}
	for k := len(tags) + benchPerArt; len(tags) < k; {
		if t := c.terms[c.zt.Uint64()]; !slices.Contains(tags, t) {
			tags = append(tags, t)
		}
	}
	var b strings.Builder
	for i := range 6 + c.r.IntN(5) {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(c.words[c.r.IntN(len(c.words))])
	}
	return b.String(), tags
}

// runRelatedBench builds an index of n synthetic articles (Window 720h, defaults
// otherwise), then times benchSamples new articles put and refreshed one by
// one, queries and removals, writes a report to w and returns the figures.
func runRelatedBench(n int, seed int64, w io.Writer) relatedResult {
	c := newRelatedCorpus(seed)
	buf := make([]string, 0, 8)
	heap := func() int64 {
		var m runtime.MemStats
		runtime.GC()
		runtime.GC()
		runtime.ReadMemStats(&m)
		return int64(m.HeapAlloc)
	}
	h0 := heap()
	ix := related.New(related.Options{Window: benchWindow})
	step := benchSpan / time.Duration(max(n, 1))
	t0 := time.Now()
	for i := range n {
		title, tags := c.article(buf)
		jitter := time.Duration(c.r.Int64N(int64(24*time.Hour))) - 12*time.Hour
		ix.Put(int64(i+1), c.start.Add(time.Duration(i)*step+jitter), title, tags)
	}
	var res relatedResult
	res.PutAll = time.Since(t0)
	t0 = time.Now()
	_ = ix.Rebuild(nil) // emit is nil: no error
	res.Rebuild = time.Since(t0)
	res.HeapBytes = heap() - h0
	st := ix.Stats()
	res.Articles, res.Tags, res.Capped, res.EstimateBytes = st.Articles, st.Tags, st.Capped, st.Bytes

	ins := make([]time.Duration, benchSamples)
	lists := 0
	now := c.start.Add(benchSpan)
	for i := range ins {
		title, tags := c.article(buf)
		id := int64(n + i + 1)
		t := time.Now()
		ix.Put(id, now.Add(time.Duration(i)*time.Minute), title, tags)
		lists += len(ix.Refresh([]int64{id}, nil))
		ins[i] = time.Since(t)
	}
	res.ListsPerInsert = float64(lists) / benchSamples
	res.InsertMedian, res.InsertP99, res.InsertMax = quantiles(ins)

	qs := make([]time.Duration, benchSamples)
	for i := range qs {
		id := 1 + c.r.Int64N(int64(max(n, 1)))
		t := time.Now()
		ix.Query(id)
		qs[i] = time.Since(t)
	}
	res.QueryMedian, res.QueryP99, _ = quantiles(qs)

	rm := make([]time.Duration, benchSamples)
	for i := range rm {
		id := 1 + c.r.Int64N(int64(max(n, 1)))
		t := time.Now()
		ix.Refresh(nil, []int64{id})
		rm[i] = time.Since(t)
	}
	res.RemoveMedian, res.RemoveP99, _ = quantiles(rm)

	fmt.Fprintf(w, "related bench: %d articles, %d tags (%d capped), window %v, seed %d, GOMAXPROCS %d\n",
		res.Articles, res.Tags, res.Capped, benchWindow, seed, runtime.GOMAXPROCS(0))
	fmt.Fprintf(w, "  build: put all %v, rebuild all lists %v\n", res.PutAll.Round(time.Millisecond), res.Rebuild.Round(time.Millisecond))
	fmt.Fprintf(w, "  memory: heap growth %.1f MB, estimate %.1f MB\n", mb(res.HeapBytes), mb(res.EstimateBytes))
	fmt.Fprintf(w, "  new article (put+refresh, %d): median %v, p99 %v, max %v, %.1f lists returned each\n",
		benchSamples, res.InsertMedian, res.InsertP99, res.InsertMax, res.ListsPerInsert)
	fmt.Fprintf(w, "  query from scratch: median %v, p99 %v\n", res.QueryMedian, res.QueryP99)
	fmt.Fprintf(w, "  remove+refresh: median %v, p99 %v\n", res.RemoveMedian, res.RemoveP99)
	return res
}

func mb(b int64) float64 { return float64(b) / (1 << 20) }

func quantiles(d []time.Duration) (median, p99, maxd time.Duration) {
	slices.Sort(d)
	if len(d) == 0 {
		return 0, 0, 0
	}
	return d[len(d)/2], d[len(d)*99/100], d[len(d)-1]
}
