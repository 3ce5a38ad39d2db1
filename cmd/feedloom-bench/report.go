package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"
	"unicode/utf8"
)

// Results is everything one run measured; -json writes it as it is.
type Results struct {
	Started     time.Time        `json:"started"`
	Seconds     float64          `json:"total_s"`
	Machine     Machine          `json:"machine"`
	Seed        int64            `json:"seed"`
	Epoch       string           `json:"epoch"`
	Concurrency int              `json:"concurrency"`
	PerHost     int              `json:"per_host"`
	Ingest      []*IngestFigures `json:"ingest,omitempty"`
	Related     []RelatedFigures `json:"related,omitempty"`
	Serve       *ServeFigures    `json:"serve,omitempty"`
	Quality     []qualityScore   `json:"quality,omitempty"`
	Corpus      *corpusCoverage  `json:"corpus_related,omitempty"`
	Dedupe      *dedupeScore     `json:"dedupe,omitempty"`
	Sources     []SourcesFigures `json:"sources,omitempty"`
	Scale       *ScaleFigures    `json:"scale,omitempty"`
	Skipped     []string         `json:"skipped,omitempty"`
}

// Machine describes where the figures come from.
type Machine struct {
	CPUs         int    `json:"cpus"`
	CPUModel     string `json:"cpu_model,omitempty"`
	OS           string `json:"os"`
	Arch         string `json:"arch"`
	Go           string `json:"go"`
	LoadAvgStart string `json:"load_avg_start,omitempty"`
	LoadAvgEnd   string `json:"load_avg_end,omitempty"`
}

func newResults(o *options) *Results {
	r := &Results{Started: time.Now().UTC(), Seed: o.seed, Epoch: o.epoch.Format(time.DateOnly), Concurrency: o.concurrency, PerHost: o.perHost,
		Machine: Machine{CPUs: runtime.NumCPU(), CPUModel: cpuModel(), OS: runtime.GOOS, Arch: runtime.GOARCH,
			Go: runtime.Version(), LoadAvgStart: loadAvg()}}
	for _, part := range []string{"ingest", "related", "serve", "quality", "dedupe", "sources"} {
		if o.skip[part] && !o.scaleRun {
			r.Skipped = append(r.Skipped, part)
		}
	}
	return r
}

func (r *Results) finish() {
	r.Machine.LoadAvgEnd = loadAvg()
	r.Seconds = time.Since(r.Started).Seconds()
}

// loadAvg is the 1, 5 and 15 minute load averages ("" where unknown).
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func writeJSON(path string, r *Results) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("json: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// writeTable prints the run as one aligned text table, in three blocks.
func writeTable(w io.Writer, r *Results) {
	m := r.Machine
	fmt.Fprintf(w, "feedloom-bench  %s  seed %d, epoch %s  %s/%s, %d CPUs (%s), %s\n", r.Started.Format("2006-01-02 15:04 MST"),
		r.Seed, r.Epoch, m.OS, m.Arch, m.CPUs, m.CPUModel, m.Go)
	fmt.Fprintf(w, "load average (1/5/15 min): %s at start, %s at end; total %.0f s\n",
		m.LoadAvgStart, m.LoadAvgEnd, r.Seconds)
	if len(r.Ingest) > 0 {
		fmt.Fprintf(w, "\nINGEST (concurrency %d; feedloom per_host %d; origin on %d loopback addresses)\n",
			r.Concurrency, r.PerHost, r.Ingest[0].Hosts)
		tw := newTable("<corpus", "<run", "wall s", "items/s", "fetches/s", "CPU s", "peak RSS MB", "<stored", "÷ floor (b)", "÷ floor (a)")
		for _, f := range r.Ingest {
			corpus := fmt.Sprintf("%dx%d", f.Feeds, f.ItemsPerFeed)
			row := func(name string, p *PassFigures, stored string, ratios bool) {
				if p == nil {
					return
				}
				rb, ra := "", ""
				if ratios {
					rb, ra = fmt.Sprintf("%.2f×", f.RatioSQLite), fmt.Sprintf("%.2f×", f.RatioParse)
				}
				ips := fmt.Sprintf("%.0f", p.ItemsPerSec)
				if p.ItemsPerSec == 0 {
					ips = "-"
				}
				tw.add(corpus, name, fmt.Sprintf("%.2f", p.WallSeconds), ips, fmt.Sprintf("%.0f", p.FetchesPerSec),
					fmt.Sprintf("%.2f", p.CPUSeconds), fmt.Sprintf("%.0f", float64(p.PeakRSSBytes)/(1<<20)), stored, rb, ra)
				corpus = ""
			}
			if f.FloorParse != nil {
				row("floor (a) fetch+parse", f.FloorParse, fmt.Sprintf("%d/%d items parsed", f.FloorParse.Items, f.ItemsServed), false)
			}
			row("floor (b) +SQLite", f.FloorSQLite, fmt.Sprintf("%d/%d rows", f.FloorRows, f.ItemsServed), false)
			if f.Cold != nil {
				row("feedloom cold", f.Cold, fmt.Sprintf("%d/%d articles, %d/%d carriages",
					f.StoredArticles, f.ExpectedArticles, f.StoredCarriages, f.ItemsServed), true)
			}
			if f.Warm != nil {
				row("feedloom warm", f.Warm, fmt.Sprintf("%d/%d feeds 304", f.Warm.Status304, f.Feeds), false)
			}
		}
		tw.write(w)
		for _, f := range r.Ingest {
			fmt.Fprintf(w, "  %dx%d: %.1f MB served, %d RSS + %d Atom feeds, %d of %d items syndicated copies (%.1f%%)\n",
				f.Feeds, f.ItemsPerFeed, float64(f.CorpusBytes)/1e6, f.Feeds-f.AtomFeeds, f.AtomFeeds,
				f.Syndicated, f.ItemsServed, 100*float64(f.Syndicated)/float64(max(1, f.ItemsServed)))
			for _, p := range f.Problems {
				fmt.Fprintf(w, "  PROBLEM %dx%d: %s\n", f.Feeds, f.ItemsPerFeed, p)
			}
		}
	}
	if len(r.Related) > 0 {
		fmt.Fprintf(w, "\nRELATED (feeds/related index: 2-4 Zipf tags and 12 Zipf key terms per article, window 720h; in-memory index, no SQLite)\n")
		tw := newTable("articles", "put all s", "rebuild s", "index MB", "insert p50 µs", "insert p99 µs",
			"query p50 µs", "query p99 µs", "remove p50 µs", "remove p99 µs", "peak RSS MB", "wall s")
		for _, f := range r.Related {
			if f.Skipped != "" {
				continue
			}
			tw.add(fmt.Sprint(f.Articles), fmt.Sprintf("%.2f", f.PutAllSeconds), fmt.Sprintf("%.2f", f.RebuildSeconds),
				fmt.Sprintf("%.1f", f.HeapMB), fmt.Sprintf("%.0f", f.InsertMedianUs), fmt.Sprintf("%.0f", f.InsertP99Us),
				fmt.Sprintf("%.0f", f.QueryMedianUs), fmt.Sprintf("%.0f", f.QueryP99Us), fmt.Sprintf("%.0f", f.RemoveMedianUs),
				fmt.Sprintf("%.0f", f.RemoveP99Us), fmt.Sprintf("%.0f", float64(f.PeakRSSBytes)/(1<<20)), fmt.Sprintf("%.1f", f.WallSeconds))
		}
		tw.write(w)
		for _, f := range r.Related {
			if f.Skipped != "" {
				fmt.Fprintf(w, "  %d articles: skipped, %s\n", f.Articles, f.Skipped)
			}
		}
	}
	if len(r.Quality) > 0 {
		fmt.Fprintf(w, "\nQUALITY OF RELATED POSTS (labelled news sets of testdata/related, ingested through the pipeline;\n"+
			"  precision@3 and off-domain: of the top-3 related posts shown, those of the same story / of another domain)\n")
		tw := newTable("<set", "<setup", "articles", "coverage", "precision@3", "off-domain")
		for _, q := range r.Quality {
			tw.add(q.Set, q.Setup, fmt.Sprint(q.Articles), fmt.Sprintf("%.2f", q.Coverage),
				fmt.Sprintf("%.2f", q.Precision3), fmt.Sprintf("%.1f%%", 100*q.OffDomain))
		}
		tw.write(w)
	}
	if c := r.Corpus; c != nil {
		fmt.Fprintf(w, "  ../shared/corpus (%d real feeds, one source each, no window): %d articles, %.0f%% with a related post, "+
			"%.0f%% of related posts from another feed\n", c.Feeds, c.Articles, 100*c.Covered, 100*c.OtherSources)
	}
	if s := r.Serve; s != nil {
		fmt.Fprintf(w, "\nSERVE (%s: %d entries, %d bytes, cached; wrk -t%d -d%s --latency; store of %d articles)\n",
			s.Path, s.Entries, s.Bytes, s.Threads, s.Duration, s.StoreArticles)
		if len(s.Rows) > 0 {
			tw := newTable("connections", "status", "<server", "requests/s", "p50 ms", "p99 ms", "% of nginx", "% of bare", "<errors")
			for _, row := range s.Rows {
				pct, pctBare := "", ""
				if row.PctOfNginx > 0 {
					pct = fmt.Sprintf("%.0f%%", row.PctOfNginx)
				}
				if row.PctOfBare > 0 {
					pctBare = fmt.Sprintf("%.0f%%", row.PctOfBare)
				}
				errs := "-"
				if row.Bad > 0 || (row.SocketErrs != "" && row.SocketErrs != "connect 0, read 0, write 0, timeout 0") {
					errs = fmt.Sprintf("%d bad; %s", row.Bad, row.SocketErrs)
				}
				tw.add(fmt.Sprint(row.Conns), fmt.Sprint(row.Status), row.Server, fmt.Sprintf("%.0f", row.ReqPerSec),
					fmt.Sprintf("%.2f", row.P50Ms), fmt.Sprintf("%.2f", row.P99Ms), pct, pctBare, errs)
			}
			tw.write(w)
		}
		for _, r := range s.Ratios {
			fmt.Fprintf(w, "  %d connections: feedloom 304 / bare 304 %s (goal %.2f); feedloom 200 / nginx 200 %s (goal %.2f)\n",
				r.Conns, ratioText(r.Of304ToBare), goal304OverBare, ratioText(r.Of200ToNgx), goal200OverNginx)
		}
		for _, n := range s.Notes {
			fmt.Fprintf(w, "  note: %s\n", n)
		}
	}
	if d := r.Dedupe; d != nil {
		fmt.Fprintf(w, "\nDEDUPE (labelled set, cmd/feedloom-bench/testdata/dedupe/set.json)\n  %d items, %d stories -> %d articles: pairwise precision %.3f, recall %.3f, %d items lost\n",
			d.Items, d.Stories, d.Articles, d.Precision, d.Recall, d.Lost)
	}
	writeSources(w, r.Sources)
	writeScale(w, r.Scale)
	if len(r.Skipped) > 0 {
		fmt.Fprintf(w, "\nskipped: %s\n", strings.Join(r.Skipped, ", "))
	}
}

// table is an aligned text table: numbers right-aligned, text columns
// (headers starting with "<") left-aligned.
type table struct {
	head []string
	left []bool
	rows [][]string
}

func newTable(head ...string) *table {
	t := &table{}
	for _, h := range head {
		l := strings.HasPrefix(h, "<")
		t.head = append(t.head, strings.TrimPrefix(h, "<"))
		t.left = append(t.left, l)
	}
	return t
}

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

func (t *table) write(w io.Writer) {
	width := make([]int, len(t.head))
	for _, row := range append([][]string{t.head}, t.rows...) {
		for i, c := range row {
			if i < len(width) {
				width[i] = max(width[i], utf8.RuneCountInString(c))
			}
		}
	}
	for _, row := range append([][]string{t.head}, t.rows...) {
		var b strings.Builder
		b.WriteString(" ")
		for i, c := range row {
			if i >= len(width) {
				break
			}
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			b.WriteString(" ")
			if t.left[i] {
				b.WriteString(c + pad)
			} else {
				b.WriteString(pad + c)
			}
			b.WriteString(" ")
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}

// ratioText is a ratio with two decimals, or "-" when it was not measured.
func ratioText(r float64) string {
	if r <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", r)
}
