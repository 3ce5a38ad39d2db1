// Command feedloom-bench measures feedloom against its floor and its peers
// on a deterministic synthetic corpus served from loopback:
//
//   - ingest: a cold and a warm (all-304) pass through the real pipeline
//     (storage.Open + scheduler.New + RunOnce, wired as `feedloom fetch`
//     wires it), beside the floor: (a) download + gofeed parse, (b) the same
//     plus a plain SQLite insert, one transaction per feed;
//   - related: feeds/related's index at 100k and 1M articles (runRelatedBench);
//   - quality: related posts of the labelled news sets of testdata/related
//     (precision@3, off-domain share, coverage), as a reader judges them;
//   - serve: a cached 50-entry feed (200 and 304) with wrk, beside nginx
//     serving the same bytes as a static file;
//   - sources: the first render of /sources and /sources.json at 2,500,
//     5,000 and 10,000 sources (in this process, a few seconds), with the
//     scheduler running as in serve;
//   - scale (-scale, only): a store of -scale-articles articles built
//     through the real ingest path, then cold and warm passes, the daemon's
//     start, uncached renders, a prune under readers and memory over many
//     passes, each beside its empty- or small-store counterpart.
//
// Each measured ingest and related run happens in a child process (this
// binary re-executed) so that its CPU time and peak RSS are its own. It
// prints one table and, with -json, writes every figure to a file.
//
//	go run ./cmd/feedloom-bench              # the full run (several minutes)
//	go run ./cmd/feedloom-bench -quick       # a smoke run
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/feedloom/feedloom/feeds/config"
)

func main() {
	if job := os.Getenv(childEnv); job != "" {
		os.Exit(childMain(job))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// size is one ingest corpus: feeds × items per feed.
type size struct{ feeds, items int }

func (s size) String() string { return fmt.Sprintf("%dx%d", s.feeds, s.items) }

// options are the parsed flags.
type options struct {
	seed           int64
	epoch          time.Time
	sizes          []size
	relatedSizes   []int
	relatedTimeout time.Duration
	serveDuration  time.Duration
	serveConns     []int
	serveCorpus    size
	sourcesSizes   []int
	skip           map[string]bool
	jsonPath       string
	repeat         int
	concurrency    int
	perHost        int
	cpuProfile     string
	profileSize    int // feeds×items of the size profiled (the largest)
	wrk, nginx     string
	install        bool
	aptUpdated     bool
	scaleRun       bool
	scale          scaleOptions
}

// Defaults of the full run and of -quick.
const (
	defaultSizes        = "200x50,1000x50"
	defaultRelated      = "100000,1000000"
	quickSizes          = "50x20"
	quickRelated        = "10000"
	quickServe          = 2 * time.Second
	defaultSources      = "2500,5000,10000"
	quickSources        = "500"
	defaultServe        = 10 * time.Second
	defaultRelatedLimit = 10 * time.Minute
)

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	fs := flag.NewFlagSet("feedloom-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := &options{}
	fs.Int64Var(&o.seed, "seed", 1, "corpus seed: the same seed gives the same bytes")
	epoch := fs.String("epoch", "", "newest publication date of the corpus, YYYY-MM-DD (default: today, UTC)")
	sizes := fs.String("sizes", defaultSizes, "ingest corpora, FEEDSxITEMS, comma-separated")
	rel := fs.String("related-sizes", defaultRelated, "related index sizes (articles), comma-separated")
	fs.DurationVar(&o.relatedTimeout, "related-timeout", defaultRelatedLimit, "give up on a related size after this long")
	fs.DurationVar(&o.serveDuration, "serve-duration", defaultServe, "duration of each wrk run")
	conns := fs.String("serve-conns", "64,256", "wrk connection counts, comma-separated")
	serveCorpus := fs.String("serve-corpus", "20x50", "FEEDSxITEMS ingested into the store the serve part publishes")
	srcSizes := fs.String("sources-sizes", defaultSources, "source counts of the sources part, comma-separated")
	skip := fs.String("skip", "", "parts to skip: ingest, related, serve, quality, dedupe, sources (comma-separated)")
	fs.StringVar(&o.jsonPath, "json", "", "write every figure to this file as JSON")
	fs.IntVar(&o.repeat, "repeat", 1, "runs of each ingest measurement (the median cold run is kept)")
	def := config.Default()
	fs.IntVar(&o.concurrency, "concurrency", def.Fetch.Concurrency, "fetches in flight (feedloom and the floor)")
	fs.IntVar(&o.perHost, "per-host", def.Fetch.PerHost, "feedloom's fetches in flight per host")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "profile a separate cold feedloom pass of the largest size into this file")
	fs.StringVar(&o.wrk, "wrk", "wrk", "wrk command (empty: skip the load runs)")
	fs.StringVar(&o.nginx, "nginx", "nginx", "nginx command (empty: skip the nginx column)")
	fs.BoolVar(&o.install, "install", true, "apt-get install wrk and nginx when missing (as root)")
	fs.BoolVar(&o.scaleRun, "scale", false, "run the scale part only (issue 20; the default size takes about half an hour)")
	fs.IntVar(&o.scale.articles, "scale-articles", 1_000_000, "scale: articles in the large store")
	fs.IntVar(&o.scale.feeds, "scale-feeds", 10_000, "scale: sources of the large store; the warm pass fetches them all")
	scaleCold := fs.String("scale-cold", "1000x50", "scale: the cold pass, FEEDSxITEMS of new items (the first FEEDS sources)")
	fs.IntVar(&o.scale.warmPasses, "scale-warm-passes", 200, "scale: warm passes of the memory-over-time run")
	fs.IntVar(&o.scale.coldBatches, "scale-cold-batches", 20, "scale: cold batches among them")
	memCold := fs.String("scale-memory-cold", "1000x5", "scale: FEEDSxITEMS of each of those cold batches")
	fs.IntVar(&o.scale.renders, "scale-renders", 200, "scale: uncached renders of each page (a fifth of it for /sources)")
	fs.IntVar(&o.scale.readers, "scale-readers", 8, "scale: concurrent feed readers during the prune")
	fs.DurationVar(&o.scale.baseline, "scale-baseline", 5*time.Second, "scale: how long the readers run before the prune")
	fs.StringVar(&o.scale.cpuProfile, "scale-cpuprofile", "", "scale: write a CPU profile of the cold pass into the large store to this file")
	fs.StringVar(&o.scale.feedloom, "feedloom", "", "scale: the feedloom binary to start (default: go build ./cmd/feedloom)")
	quick := fs.Bool("quick", false, "smoke preset: -sizes "+quickSizes+" -related-sizes "+quickRelated+" -serve-duration "+quickServe.String())
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *quick {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if !set["sizes"] {
			*sizes = quickSizes
		}
		if !set["related-sizes"] {
			*rel = quickRelated
		}
		if !set["serve-duration"] {
			o.serveDuration = quickServe
		}
		if !set["sources-sizes"] {
			*srcSizes = quickSources
		}
	}
	var err error
	o.epoch = DefaultEpoch(time.Now())
	if *epoch != "" {
		if o.epoch, err = time.Parse(time.DateOnly, *epoch); err != nil {
			return nil, fmt.Errorf("-epoch: %w", err)
		}
	}
	if o.sizes, err = parseSizes(*sizes); err != nil {
		return nil, err
	}
	if o.relatedSizes, err = parseInts("-related-sizes", *rel); err != nil {
		return nil, err
	}
	if o.sourcesSizes, err = parseInts("-sources-sizes", *srcSizes); err != nil {
		return nil, err
	}
	if o.serveConns, err = parseInts("-serve-conns", *conns); err != nil {
		return nil, err
	}
	if sc, err := parseSizes(*serveCorpus); err != nil || len(sc) != 1 {
		return nil, fmt.Errorf("-serve-corpus: %q is not one FEEDSxITEMS", *serveCorpus)
	} else {
		o.serveCorpus = sc[0]
	}
	if err := o.scale.parse(*scaleCold, *memCold); err != nil {
		return nil, err
	}
	o.skip = map[string]bool{}
	for _, s := range strings.Split(*skip, ",") {
		switch s = strings.TrimSpace(s); s {
		case "":
		case "ingest", "related", "serve", "quality", "dedupe", "sources":
			o.skip[s] = true
		default:
			return nil, fmt.Errorf("-skip: unknown part %q (ingest, related, serve, quality, dedupe, sources)", s)
		}
	}
	if o.repeat < 1 || o.concurrency < 1 || o.perHost < 1 {
		return nil, fmt.Errorf("-repeat, -concurrency and -per-host must be at least 1")
	}
	for _, s := range o.sizes {
		o.profileSize = max(o.profileSize, s.feeds*s.items)
	}
	return o, nil
}

func parseSizes(s string) ([]size, error) {
	var out []size
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		a, b, ok := strings.Cut(part, "x")
		nf, err1 := strconv.Atoi(a)
		ni, err2 := strconv.Atoi(b)
		if !ok || err1 != nil || err2 != nil || nf < 1 || ni < 1 {
			return nil, fmt.Errorf("-sizes: %q is not FEEDSxITEMS", part)
		}
		out = append(out, size{nf, ni})
	}
	return out, nil
}

func parseInts(name, s string) ([]int, error) {
	var out []int
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		n, err := strconv.Atoi(part)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%s: %q is not a positive number", name, part)
		}
		out = append(out, n)
	}
	return out, nil
}

// run is the whole command; it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "feedloom-bench:", err)
		return 2
	}
	progress := func(msg string) {
		fmt.Fprintf(stderr, "%s  %s  (load %s)\n", time.Now().Format("15:04:05"), msg, loadAvg())
	}
	res := newResults(o)
	if o.scaleRun {
		res.Scale, err = measureScale(ctx, o, progress)
		if err != nil {
			// What was measured before the failure (or ^C) is still worth a table.
			fmt.Fprintln(stderr, "feedloom-bench: scale:", err)
			finish(o, res, stdout, stderr)
			return 1
		}
		return finish(o, res, stdout, stderr)
	}
	if !o.skip["dedupe"] {
		dir, err := os.MkdirTemp("", "feedloom-bench-dedupe-")
		if err == nil {
			var sc dedupeScore
			sc, err = scoreDedupe(ctx, dir, dedupeMain)
			res.Dedupe = &sc
			err = errors.Join(err, os.RemoveAll(dir))
		}
		if err != nil {
			fmt.Fprintln(stderr, "feedloom-bench: dedupe:", err)
			return 1
		}
	}
	if !o.skip["ingest"] {
		for _, s := range o.sizes {
			t0 := time.Now()
			c := GenerateCorpus(uint64(o.seed), o.epoch, s.feeds, s.items)
			progress(fmt.Sprintf("corpus %v: %d items, %d expected articles, %.1f MB, generated in %v",
				s, c.Items, c.Stories, float64(c.Bytes)/1e6, time.Since(t0).Round(time.Millisecond)))
			f, err := measureIngest(ctx, o, c, s.feeds, s.items, progress)
			if err != nil {
				fmt.Fprintln(stderr, "feedloom-bench: ingest:", err)
				return 1
			}
			res.Ingest = append(res.Ingest, f)
		}
	}
	if !o.skip["related"] {
		if res.Related, err = measureRelated(ctx, o, progress); err != nil {
			fmt.Fprintln(stderr, "feedloom-bench: related:", err)
			return 1
		}
	}
	if !o.skip["quality"] {
		if res.Quality, err = measureQuality(ctx, filepath.Join("testdata", "related"), "config.yaml", progress); err != nil {
			fmt.Fprintln(stderr, "feedloom-bench: quality:", err)
			return 1
		}
		if c, err := measureSharedCorpus(ctx, filepath.Join("..", "shared", "corpus")); err != nil {
			progress("quality: ../shared/corpus skipped: " + err.Error())
		} else {
			res.Corpus = &c
		}
	}
	if !o.skip["serve"] {
		if res.Serve, err = measureServe(ctx, o, progress); err != nil {
			fmt.Fprintln(stderr, "feedloom-bench: serve:", err)
			return 1
		}
	}
	if !o.skip["sources"] {
		if res.Sources, err = measureSources(ctx, o.sourcesSizes, progress); err != nil {
			fmt.Fprintln(stderr, "feedloom-bench: sources:", err)
			return 1
		}
	}
	return finish(o, res, stdout, stderr)
}

// finish prints the table and writes the JSON file.
func finish(o *options, res *Results, stdout, stderr io.Writer) int {
	res.finish()
	writeTable(stdout, res)
	if o.jsonPath != "" {
		if err := writeJSON(o.jsonPath, res); err != nil {
			fmt.Fprintln(stderr, "feedloom-bench:", err)
			return 1
		}
	}
	return 0
}
