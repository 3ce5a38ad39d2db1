package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/feedloom/feedloom/feeds/config"
)

// scaleOptions are the flags of the scale part (issue 20).
type scaleOptions struct {
	articles    int           // articles in the large store
	feeds       int           // its sources; the warm pass fetches every one
	cold        size          // the cold pass measured into the large and the empty store
	warmPasses  int           // memory over time: warm passes in one process…
	coldBatches int           // …with this many cold batches spread among them
	memCold     size          // the shape of those cold batches
	renders     int           // uncached renders per page
	readers     int           // concurrent feed readers during the prune
	baseline    time.Duration // how long the readers run before the prune starts
	feedloom    string        // the feedloom binary for the daemon start (empty: go build it)
	cpuProfile  string        // a CPU profile of the cold pass into the large store
}

// Building the large store: every source gets at most this many new items
// per batch (10,000 feeds × 5 = 50,000 items a batch), and a batch yields
// about this share of new articles (the corpus's syndicated copies merge).
const (
	buildItemsPerFeed = 5
	articlesPerItem   = 0.93
	retentionMargin   = 48 * time.Hour // the oldest article stays this far inside retention.max_age
)

// ScaleFigures are the scale part's measurements: each beside its
// empty-store or small-store counterpart of the same run.
type ScaleFigures struct {
	TargetArticles int            `json:"target_articles"`
	Feeds          int            `json:"feeds"`
	Hosts          int            `json:"origin_hosts"`
	BuiltArticles  int            `json:"built_articles"` // by the build
	StoreArticles  int            `json:"store_articles"` // after the cold pass into it, what the rest measures
	BuildSeconds   float64        `json:"build_s"`
	Batches        []BuildBatch   `json:"build_batches"`
	ColdCorpus     string         `json:"cold_corpus"`
	ColdEmpty      *PassFigures   `json:"cold_empty"`
	ColdLarge      *PassFigures   `json:"cold_large"`
	ColdRatio      float64        `json:"cold_ratio"`
	SmallArticles  int            `json:"small_articles"` // the store after the first batch
	WarmSmall      *PassFigures   `json:"warm_small"`
	WarmLarge      *PassFigures   `json:"warm_large"`
	RendersSmall   []RenderTiming `json:"renders_small"`
	RendersLarge   []RenderTiming `json:"renders_large"`
	Start          *DaemonStart   `json:"daemon_start,omitempty"`
	Prune          *PruneFigures  `json:"prune,omitempty"`
	Memory         *MemoryFigures `json:"memory,omitempty"`
	DBBytes        int64          `json:"db_bytes"`
	BytesPerArt    float64        `json:"db_bytes_per_article"`
	PeakRSS        map[string]int `json:"peak_rss_mb"` // per process of the run
	Notes          []string       `json:"notes,omitempty"`
}

// BuildBatch is one ingest pass of the build.
type BuildBatch struct {
	Before, After int     // articles in the store
	Items         int     `json:"items"`
	Wall          float64 `json:"wall_s"`
	ItemsPerSec   float64 `json:"items_per_s"`
}

// measureScale builds the large store through the real ingest path, then
// measures passes, renders, the daemon's start, a prune under readers and
// memory over time on it.
func measureScale(ctx context.Context, o *options, progress func(string)) (*ScaleFigures, error) {
	so := o.scale
	dir, err := os.MkdirTemp("", "feedloom-bench-scale-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	bin := so.feedloom
	if bin == "" {
		progress("scale: building cmd/feedloom")
		if bin, err = buildFeedloom(ctx, dir); err != nil {
			return nil, err
		}
	}
	org, err := startOrigin(&Corpus{})
	if err != nil {
		return nil, err
	}
	defer org.Close()
	f := &ScaleFigures{TargetArticles: so.articles, Feeds: so.feeds, Hosts: org.Hosts, ColdCorpus: so.cold.String(), PeakRSS: map[string]int{}}
	job := childJob{Kind: jobScale, URLs: feedURLs(org, so.feeds), Concurrency: o.concurrency, PerHost: o.perHost,
		Seed: o.seed, Store: filepath.Join(dir, "feedloom.db")}
	if err := buildAndMeasure(ctx, o, org, job, f, progress); err != nil {
		return f, err
	}
	if err := measureDaemon(ctx, o, org, job, bin, f, progress); err != nil {
		return f, err
	}
	return f, measureMemory(ctx, o, org, job, f, progress)
}

// feedURLs are the URLs of n feeds on the origin, as origin.URLs gives a
// corpus of n feeds (the corpus generator's paths).
func feedURLs(org *origin, n int) []string {
	urls := make([]string, n)
	for i := range urls {
		urls[i] = fmt.Sprintf("%s/feeds/%04d.xml", org.bases[i%len(org.bases)], i)
	}
	return urls
}

// buildAndMeasure runs one scale child: the cold pass into an empty store,
// the build batch by batch (the warm pass and renders after the first, as
// the small counterparts), then the warm pass, cold pass and renders on
// the large store.
func buildAndMeasure(ctx context.Context, o *options, org *origin, job childJob, f *ScaleFigures, progress func(string)) error {
	so := o.scale
	sc, err := startScaleChild(ctx, job)
	if err != nil {
		return err
	}
	defer sc.close()
	if err := build(ctx, o, org, sc, f, progress); err != nil {
		return err
	}
	progress(fmt.Sprintf("scale: warm pass of %d feeds into %d articles", so.feeds, f.StoreArticles))
	rep, err := sc.call(scaleOp{Op: opPass})
	if err != nil {
		return err
	}
	f.WarmLarge = figures(*rep.Pass, 0)
	if err := coldPasses(o, org, sc, f, progress); err != nil {
		return err
	}
	progress(fmt.Sprintf("scale: uncached renders on %d articles", f.StoreArticles))
	if rep, err = sc.call(scaleOp{Op: opRenders, Renders: so.renders, Seed: o.seed}); err != nil {
		return err
	}
	f.RendersLarge = rep.Renders
	f.DBBytes = rep.DBBytes
	f.BytesPerArt = float64(rep.DBBytes) / float64(max(1, rep.Articles))
	f.PeakRSS["ingest and renders"] = mib(rep.PeakRSS)
	return sc.close()
}

// coldPasses measures the same cold pass into an empty store, into the
// large one, and into an empty store again, back to back in one process so
// that a shared machine's load and the process's warm-up fall on both
// sides alike; the counterpart is the mean of the two empty passes.
func coldPasses(o *options, org *origin, sc *scaleConn, f *ScaleFigures, progress func(string)) error {
	so := o.scale
	cold := GenerateCorpus(uint64(o.seed)+1000, o.epoch, so.cold.feeds, so.cold.items)
	org.serve(cold)
	var empty []*PassFigures
	for _, op := range []string{opEmptyPass, opPass, opEmptyPass} {
		progress(fmt.Sprintf("scale: cold pass %v (%s)", so.cold, op))
		req := scaleOp{Op: op, Sources: so.cold.feeds}
		if op == opPass {
			req.Profile = so.cpuProfile
		}
		rep, err := sc.call(req)
		if err != nil {
			return err
		}
		p := figures(*rep.Pass, cold.Items)
		if op == opPass {
			f.ColdLarge, f.StoreArticles = p, rep.Articles
			continue
		}
		empty = append(empty, p)
	}
	f.ColdEmpty = empty[0]
	f.ColdEmpty.RepeatWallsSecs = []float64{empty[0].WallSeconds, empty[1].WallSeconds}
	f.ColdEmpty.WallSeconds = (empty[0].WallSeconds + empty[1].WallSeconds) / 2
	f.ColdEmpty.ItemsPerSec = float64(cold.Items) / f.ColdEmpty.WallSeconds
	f.ColdRatio = ratio(f.ColdLarge, f.ColdEmpty)
	return nil
}

// build ingests batches of new items from every source, each batch's
// dates a slice of the retention window, oldest first (as the daemon would
// have seen them), until the store holds so.articles articles.
func build(ctx context.Context, o *options, org *origin, sc *scaleConn, f *ScaleFigures, progress func(string)) error {
	so := o.scale
	perBatch := float64(so.feeds*buildItemsPerFeed) * articlesPerItem
	batches := max(1, int((float64(so.articles)+perBatch-1)/perBatch))
	span := config.Default().Retention.MaxAge - retentionMargin
	slice := span / time.Duration(batches)
	t0 := time.Now()
	articles := 0
	for k := 0; articles < so.articles; k++ {
		items := min(buildItemsPerFeed, int(float64(so.articles-articles)/(float64(so.feeds)*articlesPerItem))+1)
		epoch := o.epoch.Add(-time.Duration(max(0, batches-1-k)) * slice)
		c := GenerateCorpusSpan(uint64(o.seed)+10+uint64(k), epoch, slice, so.feeds, items)
		org.serve(c)
		progress(fmt.Sprintf("scale: build batch %d/%d: %dx%d into %d articles", k+1, batches, so.feeds, items, articles))
		rep, err := sc.call(scaleOp{Op: opPass})
		if err != nil {
			return err
		}
		if rep.Pass.Errors > 0 {
			return fmt.Errorf("build batch %d: %d fetch errors, first: %s", k+1, rep.Pass.Errors, rep.Pass.FirstError)
		}
		if rep.Articles <= articles {
			return fmt.Errorf("build batch %d stored no new article (%d)", k+1, rep.Articles)
		}
		f.Batches = append(f.Batches, BuildBatch{Before: articles, After: rep.Articles, Items: c.Items,
			Wall: rep.Pass.WallSeconds, ItemsPerSec: float64(c.Items) / rep.Pass.WallSeconds})
		articles = rep.Articles
		if k == 0 {
			if err := measureSmall(o, sc, f, articles, progress); err != nil {
				return err
			}
		}
	}
	f.BuiltArticles, f.StoreArticles, f.BuildSeconds = articles, articles, time.Since(t0).Seconds()
	return nil
}

// measureSmall takes the counterparts on the store of the first batch.
func measureSmall(o *options, sc *scaleConn, f *ScaleFigures, articles int, progress func(string)) error {
	f.SmallArticles = articles
	progress(fmt.Sprintf("scale: warm pass and renders on %d articles", articles))
	rep, err := sc.call(scaleOp{Op: opPass})
	if err != nil {
		return err
	}
	f.WarmSmall = figures(*rep.Pass, 0)
	if rep, err = sc.call(scaleOp{Op: opRenders, Renders: o.scale.renders, Seed: o.seed}); err != nil {
		return err
	}
	f.RendersSmall = rep.Renders
	return nil
}

// scaleConn talks to a scale child, one JSON line each way.
type scaleConn struct {
	ch     *child
	out    *bufio.Reader
	closed bool
}

// startScaleChild starts a scale child and waits until it has opened the
// store and built its index.
func startScaleChild(ctx context.Context, job childJob) (*scaleConn, error) {
	ch, err := startChild(ctx, job)
	if err != nil {
		return nil, err
	}
	sc := &scaleConn{ch: ch, out: bufio.NewReaderSize(ch.stdout, 1<<16)}
	if _, err := sc.call(scaleOp{Op: opUsage}); err != nil {
		return nil, errors.Join(err, sc.close())
	}
	return sc, nil
}

// call sends op and decodes the reply; a reply carrying an error is one.
func (sc *scaleConn) call(op scaleOp) (scaleReply, error) {
	var rep scaleReply
	line, err := json.Marshal(op)
	if err != nil {
		return rep, err
	}
	if _, err := sc.ch.stdin.Write(append(line, '\n')); err != nil {
		return rep, fmt.Errorf("scale child: %w\n%s", err, sc.ch.stderr.String())
	}
	b, err := sc.out.ReadBytes('\n')
	if err != nil {
		return rep, fmt.Errorf("scale child %s: %w\n%s", op.Op, err, sc.ch.stderr.String())
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		return rep, fmt.Errorf("scale child %s: %w", op.Op, err)
	}
	if rep.Err != "" {
		return rep, fmt.Errorf("scale child %s: %s", op.Op, rep.Err)
	}
	return rep, nil
}

// close ends the child (it exits when its stdin closes); twice is fine.
func (sc *scaleConn) close() error {
	if sc.closed {
		return nil
	}
	sc.closed = true
	return sc.ch.wait(nil)
}

// mib is bytes in whole MiB, as the other RSS figures print.
func mib(b int64) int { return int(b >> 20) }

// parse reads the FEEDSxITEMS flags and checks the numbers.
func (so *scaleOptions) parse(cold, memCold string) error {
	for _, p := range []struct {
		flag, v string
		to      *size
	}{{"-scale-cold", cold, &so.cold}, {"-scale-memory-cold", memCold, &so.memCold}} {
		s, err := parseSizes(p.v)
		if err != nil || len(s) != 1 {
			return fmt.Errorf("%s: %q is not one FEEDSxITEMS", p.flag, p.v)
		}
		*p.to = s[0]
	}
	switch {
	case so.articles < 1 || so.feeds < 1 || so.renders < 1 || so.readers < 1 || so.warmPasses < 1 || so.coldBatches < 0:
		return errors.New("-scale-articles, -scale-feeds, -scale-renders, -scale-readers and -scale-warm-passes must be at least 1")
	case so.cold.feeds > so.feeds || so.memCold.feeds > so.feeds:
		return fmt.Errorf("-scale-cold and -scale-memory-cold use the first sources: at most -scale-feeds (%d) feeds", so.feeds)
	}
	return nil
}
