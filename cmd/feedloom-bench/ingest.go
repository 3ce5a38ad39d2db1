package main

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/feeds/config"
	"github.com/feedloom/feedloom/feeds/fetch"
	"github.com/feedloom/feedloom/feeds/normalize"
	"github.com/feedloom/feedloom/feeds/related"
	"github.com/feedloom/feedloom/feeds/tag"
	"github.com/feedloom/feedloom/scheduler"
	"github.com/feedloom/feedloom/storage"
)

// passResult is what a child measured for one pass over every feed.
type passResult struct {
	WallSeconds  float64 `json:"wall_s"`
	CPUSeconds   float64 `json:"cpu_s"`          // user+system of the child during the pass
	PeakRSSBytes int64   `json:"peak_rss_bytes"` // the child's maxrss after the pass (monotonic)
	Fetches      int     `json:"fetches"`
	Status200    int     `json:"status_200"`
	Status304    int     `json:"status_304"`
	Errors       int     `json:"errors"`
	FirstError   string  `json:"first_error,omitempty"`
	Items        int     `json:"items"` // items parsed (floors) or new+updated+duplicate (feedloom)
	New          int     `json:"new,omitempty"`
	Updated      int     `json:"updated,omitempty"`
	Duplicate    int     `json:"duplicate,omitempty"`
	Skipped      int     `json:"skipped,omitempty"`
}

// ingestResult is a child's answer for an ingest job.
type ingestResult struct {
	Cold passResult  `json:"cold"`
	Warm *passResult `json:"warm,omitempty"`
	// What the store holds after the cold pass: feedloom's articles and
	// carriages (article × source), or the floor's rows.
	Articles  int `json:"articles"`
	Carriages int `json:"carriages"`
}

// benchSources are the configured sources for a list of feed URLs; each
// carries one source tag, as real configs do.
func benchSources(cfg *config.Config, urls []string) []feeds.Source {
	srcs := make([]feeds.Source, len(urls))
	for i, u := range urls {
		srcs[i] = feeds.Source{Name: fmt.Sprintf("src-%04d", i), URL: u,
			Tags: []string{topics[i%10]}, Schedule: cfg.Fetch.Schedule}
	}
	return srcs
}

// benchConfig is config.Default with the job's sources, limits and database.
func benchConfig(job childJob) *config.Config {
	cfg := config.Default()
	cfg.Database = filepath.Join(job.Dir, "feedloom.db")
	if job.Concurrency > 0 {
		cfg.Fetch.Concurrency = job.Concurrency
	}
	if job.PerHost > 0 {
		cfg.Fetch.PerHost = job.PerHost
	}
	cfg.Sources = benchSources(cfg, job.URLs)
	return cfg
}

// newScheduler wires the ingest path exactly as cmd/feedloom/pipeline.go
// does for `feedloom fetch` (no metrics registry), from a config.
func newScheduler(cfg *config.Config, db *storage.DB, log *slog.Logger) (*scheduler.Scheduler, error) {
	tagger, err := tag.New(cfg.Tags.Aliases, cfg.Tags.Rules)
	if err != nil {
		return nil, fmt.Errorf("tag rules: %w", err)
	}
	tagger = tagger.WithAuto(cfg.Tags.Auto.Enabled, cfg.Tags.Auto.Max)
	minScore := cfg.Related.MinScore
	if minScore == 0 {
		minScore = -1 // the config's 0 is "no minimum"
	}
	fetcher := fetch.New(fetch.Options{
		Timeout:               cfg.Fetch.Timeout,
		MaxBody:               cfg.Fetch.MaxBody,
		UserAgent:             cfg.UserAgentFor("bench"),
		MaxRedirects:          5,
		AllowPrivateRedirects: cfg.Fetch.AllowPrivateRedirects,
	})
	sched, err := scheduler.New(scheduler.Options{
		Store:      db,
		Normalizer: normalize.New(),
		Related: related.New(related.Options{Limit: cfg.Related.Limit, MinShared: cfg.Related.MinShared,
			MinScore: minScore, Window: cfg.Related.Window}),
		Logger:  log,
		OnStart: cfg.Fetch.OnStart,
	}, scheduler.Settings{
		Sources:     cfg.Sources,
		Tagger:      tagger,
		Fetcher:     fetcher,
		Concurrency: cfg.Fetch.Concurrency,
		PerHost:     cfg.Fetch.PerHost,
		Retention:   scheduler.Retention{MaxAge: cfg.Retention.MaxAge, MaxPerSource: cfg.Retention.MaxPerSource},
	})
	if err != nil {
		return nil, fmt.Errorf("scheduler: %w", err)
	}
	return sched, nil
}

// runFeedloomIngest is the child side of a feedloom ingest: a fresh store,
// a cold pass (every feed new), then a warm pass in the same process (every
// feed unchanged: all 304), as the daemon's next tick would be.
func runFeedloomIngest(ctx context.Context, job childJob) (ingestResult, error) {
	cfg := benchConfig(job)
	db, err := storage.Open(ctx, cfg.Database)
	if err != nil {
		return ingestResult{}, fmt.Errorf("open store: %w", err)
	}
	defer db.Close()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	sched, err := newScheduler(cfg, db, log)
	if err != nil {
		return ingestResult{}, err
	}
	if err := sched.BuildIndex(ctx); err != nil {
		return ingestResult{}, fmt.Errorf("build related index: %w", err)
	}
	pass := func(profile string) (passResult, error) { return timedPass(ctx, sched, nil, profile) }
	var res ingestResult
	if res.Cold, err = pass(job.CPUProfile); err != nil {
		return res, err
	}
	st, err := db.Stats(ctx)
	if err != nil {
		return res, fmt.Errorf("stats: %w", err)
	}
	res.Articles, res.Carriages = st.Articles, st.Carriages
	warm, err := pass("")
	if err != nil {
		return res, err
	}
	res.Warm = &warm
	return res, nil
}

// timedPass is one RunOnce over the named sources (all when names is
// empty), timed, with a CPU profile into profile when it is not empty.
func timedPass(ctx context.Context, sched *scheduler.Scheduler, names []string, profile string) (passResult, error) {
	var results []scheduler.Result
	wall, cpu, peak, err := measure(profile, func() error {
		var err error
		results, err = sched.RunOnce(ctx, names, false, nil)
		return err
	})
	if err != nil {
		return passResult{}, fmt.Errorf("run once: %w", err)
	}
	p := passResult{WallSeconds: wall.Seconds(), CPUSeconds: cpu.Seconds(), PeakRSSBytes: peak}
	for _, r := range results {
		switch {
		case r.Skipped:
			p.Skipped++
			continue
		case r.Status == 200:
			p.Status200++
		case r.Status == 304:
			p.Status304++
		}
		p.Fetches++
		if r.Err != nil {
			p.Errors++
			if p.FirstError == "" {
				p.FirstError = r.Source + ": " + r.Err.Error()
			}
		}
		p.New += r.New
		p.Updated += r.Updated
		p.Duplicate += r.Duplicate
	}
	p.Items = p.New + p.Updated + p.Duplicate
	return p, nil
}

// IngestFigures are one corpus size's ingest measurements.
type IngestFigures struct {
	Feeds            int          `json:"feeds"`
	ItemsPerFeed     int          `json:"items_per_feed"`
	ItemsServed      int          `json:"items_served"`      // = carriages a lossless ingest stores
	ExpectedArticles int          `json:"expected_articles"` // distinct stories after dedupe
	Syndicated       int          `json:"syndicated_items"`
	AtomFeeds        int          `json:"atom_feeds"`
	CorpusBytes      int64        `json:"corpus_bytes"`
	Hosts            int          `json:"origin_hosts"`
	FloorParse       *PassFigures `json:"floor_parse,omitempty"`
	FloorSQLite      *PassFigures `json:"floor_sqlite,omitempty"`
	FloorRows        int          `json:"floor_sqlite_rows"`
	Cold             *PassFigures `json:"feedloom_cold,omitempty"`
	Warm             *PassFigures `json:"feedloom_warm,omitempty"`
	StoredArticles   int          `json:"stored_articles"`
	StoredCarriages  int          `json:"stored_carriages"`
	ItemsLost        int          `json:"items_lost"` // items served − carriages stored (negative: extra)
	RatioSQLite      float64      `json:"ratio_cold_to_floor_sqlite"`
	RatioParse       float64      `json:"ratio_cold_to_floor_parse"`
	Problems         []string     `json:"problems,omitempty"`
}

// PassFigures is a passResult with the rates derived from it and what the
// origin saw.
type PassFigures struct {
	passResult
	ItemsPerSec     float64   `json:"items_per_s"` // items served / wall (0 for a warm pass)
	FetchesPerSec   float64   `json:"fetches_per_s"`
	Origin200       int64     `json:"origin_200"`
	Origin304       int64     `json:"origin_304"`
	OriginOther     int64     `json:"origin_other"`
	RepeatWallsSecs []float64 `json:"repeat_walls_s,omitempty"`
}

// measureIngest runs the floors and feedloom over one corpus, each in its
// own child and temp dir, repeat times (the run with the median cold wall
// time is kept).
func measureIngest(ctx context.Context, o *options, c *Corpus, nFeeds, nItems int, progress func(string)) (*IngestFigures, error) {
	org, err := startOrigin(c)
	if err != nil {
		return nil, err
	}
	defer org.Close()
	urls := org.URLs(c)
	f := &IngestFigures{Feeds: nFeeds, ItemsPerFeed: nItems, ItemsServed: c.Items, ExpectedArticles: c.Stories,
		Syndicated: c.Syndicated, AtomFeeds: c.AtomFeeds, CorpusBytes: c.Bytes, Hosts: org.Hosts}
	job := childJob{URLs: urls, Concurrency: o.concurrency, PerHost: o.perHost, Seed: o.seed}

	for _, kind := range []string{jobFloorParse, jobFloorSQLite, jobFeedloom} {
		var runs []childRun
		for i := range o.repeat {
			progress(fmt.Sprintf("ingest %dx%d: %s (run %d/%d)", nFeeds, nItems, kind, i+1, o.repeat))
			r, err := runIngestChild(ctx, job, kind, c.Items, org)
			if err != nil {
				return nil, err
			}
			runs = append(runs, r)
		}
		// Keep the run with the median cold wall time.
		slices.SortFunc(runs, func(a, b childRun) int { return cmp.Compare(a.cold.WallSeconds, b.cold.WallSeconds) })
		best := runs[len(runs)/2]
		if len(runs) > 1 {
			for _, r := range runs {
				best.cold.RepeatWallsSecs = append(best.cold.RepeatWallsSecs, r.cold.WallSeconds)
			}
		}
		switch kind {
		case jobFloorParse:
			f.FloorParse = best.cold
		case jobFloorSQLite:
			f.FloorSQLite, f.FloorRows = best.cold, best.res.Articles
		case jobFeedloom:
			f.Cold, f.Warm = best.cold, best.warm
			f.StoredArticles, f.StoredCarriages = best.res.Articles, best.res.Carriages
		}
	}
	if o.cpuProfile != "" && nFeeds*nItems == o.profileSize {
		progress(fmt.Sprintf("ingest %dx%d: profiling a separate cold pass into %s", nFeeds, nItems, o.cpuProfile))
		j := job
		j.Kind, j.CPUProfile = jobFeedloom, o.cpuProfile
		if _, err := runChild(ctx, j, &ingestResult{}); err != nil {
			return nil, err
		}
	}
	f.ItemsLost = f.ItemsServed - f.StoredCarriages
	f.RatioSQLite = ratio(f.Cold, f.FloorSQLite)
	f.RatioParse = ratio(f.Cold, f.FloorParse)
	f.Problems = ingestProblems(f)
	return f, nil
}

// childRun is one ingest child's result with its figures.
type childRun struct {
	res        ingestResult
	cold, warm *PassFigures
}

// runIngestChild runs one ingest job of kind against org, whose counters
// tell what the origin saw of each pass.
func runIngestChild(ctx context.Context, job childJob, kind string, items int, org *origin) (childRun, error) {
	job.Kind = kind
	org.resetCounts()
	var r childRun
	if _, err := runChild(ctx, job, &r.res); err != nil {
		return r, err
	}
	r.cold = figures(r.res.Cold, items)
	ok, nm, other := org.ok.Load(), org.notModified.Load(), org.other.Load()
	if r.res.Warm == nil {
		r.cold.Origin200, r.cold.Origin304, r.cold.OriginOther = ok, nm, other
		return r, nil
	}
	// The counters cover both passes: the cold pass's requests are the ones
	// it reported, the warm pass's are the rest.
	r.cold.Origin200, r.cold.Origin304 = int64(r.res.Cold.Status200), int64(r.res.Cold.Status304)
	r.warm = figures(*r.res.Warm, 0)
	r.warm.Origin200, r.warm.Origin304, r.warm.OriginOther = ok-r.cold.Origin200, nm-r.cold.Origin304, other
	return r, nil
}

func figures(p passResult, items int) *PassFigures {
	f := &PassFigures{passResult: p}
	if p.WallSeconds > 0 {
		f.ItemsPerSec = float64(items) / p.WallSeconds
		f.FetchesPerSec = float64(p.Fetches) / p.WallSeconds
	}
	return f
}

func ratio(a, b *PassFigures) float64 {
	if a == nil || b == nil || b.WallSeconds == 0 {
		return 0
	}
	return a.WallSeconds / b.WallSeconds
}

// ingestProblems lists what makes a size's figures suspect: errors, lost
// items, a warm pass that was not all 304.
func ingestProblems(f *IngestFigures) []string {
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	for _, p := range []struct {
		name string
		fig  *PassFigures
	}{{"floor (a)", f.FloorParse}, {"floor (b)", f.FloorSQLite}, {"feedloom cold", f.Cold}, {"feedloom warm", f.Warm}} {
		if p.fig != nil && p.fig.Errors > 0 {
			add("%s: %d fetch errors, first: %s", p.name, p.fig.Errors, p.fig.FirstError)
		}
	}
	if f.FloorParse != nil && f.FloorParse.Items != f.ItemsServed {
		add("floor (a) parsed %d items of %d served", f.FloorParse.Items, f.ItemsServed)
	}
	if f.FloorSQLite != nil && f.FloorRows != f.ItemsServed {
		add("floor (b) stored %d rows of %d items served", f.FloorRows, f.ItemsServed)
	}
	if f.Cold != nil {
		if f.ItemsLost != 0 {
			add("feedloom stored %d carriages for %d items served (%d lost)", f.StoredCarriages, f.ItemsServed, f.ItemsLost)
		}
		if d := f.StoredArticles - f.ExpectedArticles; d > 0 {
			add("feedloom stored %d articles for %d distinct stories: %d syndicated copies not merged", f.StoredArticles, f.ExpectedArticles, d)
		} else if d < 0 {
			add("feedloom stored %d articles for %d distinct stories: %d stories wrongly merged", f.StoredArticles, f.ExpectedArticles, -d)
		}
	}
	if f.Warm != nil && (f.Warm.Status304 != f.Feeds || f.Warm.Origin200 != 0) {
		add("warm pass: %d of %d feeds answered 304 (%d skipped, origin sent %d full bodies)",
			f.Warm.Status304, f.Feeds, f.Warm.Skipped, f.Warm.Origin200)
	}
	return out
}
