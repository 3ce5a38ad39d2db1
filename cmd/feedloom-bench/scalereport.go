package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
)

// Goals of issue 20, at 1,000,000 articles.
const (
	goalColdRatio    = 1.25
	goalWarmSeconds  = 2
	goalStartSeconds = 5
	goalStartRSSMB   = 400
	goalArticleP99   = 5
	goalFeedP99      = 25
	goalReaderP99    = 50
	goalMemoryGrowth = 1.10
)

// writeScale prints the scale block: one row per figure, the large store
// beside its counterpart, and the goal.
func writeScale(w io.Writer, f *ScaleFigures) {
	if f == nil {
		return
	}
	fmt.Fprintf(w, "\nSCALE (store of %d articles from %d sources, built in %.0f s through the real ingest path, %d after the cold pass;\n"+
		"  origin on %d loopback addresses; counterparts: an empty store for the cold pass (mean of one before and one after),\n"+
		"  the store after the first batch (%d articles) for the warm pass and renders, the readers before the prune)\n",
		f.BuiltArticles, f.Feeds, f.BuildSeconds, f.StoreArticles, f.Hosts, f.SmallArticles)
	tw := newTable("<figure", "<large store", "<counterpart", "ratio", "<goal", "<met")
	add := func(name, large, counter string, r float64, goal string, met bool) {
		rs := "-"
		if r > 0 {
			rs = fmt.Sprintf("%.2f×", r)
		}
		ok := "-"
		if goal != "" {
			ok = map[bool]string{true: "yes", false: "NO"}[met]
		}
		tw.add(name, large, counter, rs, goal, ok)
	}
	if f.ColdLarge != nil && f.ColdEmpty != nil {
		add("cold pass "+f.ColdCorpus, passText(f.ColdLarge), passText(f.ColdEmpty), f.ColdRatio,
			fmt.Sprintf("≤ %.2f× empty", goalColdRatio), f.ColdRatio <= goalColdRatio)
	}
	if f.WarmLarge != nil && f.WarmSmall != nil {
		add(fmt.Sprintf("warm pass %d feeds", f.Feeds), warmText(f.WarmLarge), warmText(f.WarmSmall),
			ratio(f.WarmLarge, f.WarmSmall), fmt.Sprintf("< %d s", goalWarmSeconds), f.WarmLarge.WallSeconds < goalWarmSeconds)
	}
	if s := f.Start; s != nil {
		add("feedloom serve: /healthz, /feeds/all.atom", fmt.Sprintf("%.2f s, %.2f s", s.HealthzSeconds, s.ReadySeconds), "", 0,
			fmt.Sprintf("< %d s", goalStartSeconds), s.ReadySeconds < goalStartSeconds)
		add("  RSS right after", fmt.Sprintf("%d MB", mib(s.RSSBytes)), "", 0, fmt.Sprintf("< %d MB", goalStartRSSMB), mib(s.RSSBytes) < goalStartRSSMB)
	}
	for i, r := range f.RendersLarge {
		small := RenderTiming{}
		if i < len(f.RendersSmall) {
			small = f.RendersSmall[i]
		}
		goal, met := renderGoal(r)
		add("uncached "+r.Page+" p50/p99", renderText(r), renderText(small), r.P99Ms/max(small.P99Ms, 0.001), goal, met)
	}
	if p := f.Prune; p != nil {
		add(fmt.Sprintf("prune of %d articles (max_age %s)", p.Deleted, p.MaxAge), fmt.Sprintf("%.1f s", p.Seconds), "", 0, "", false)
		add(fmt.Sprintf("  %d readers p50/p99, errors", p.Readers), readerText(p.During), readerText(p.Baseline)+" before",
			p.During.P99Ms/max(p.Baseline.P99Ms, 0.001), fmt.Sprintf("p99 < %d ms, 0 errors", goalReaderP99),
			p.During.P99Ms < goalReaderP99 && p.During.Errors == 0)
	}
	add("database bytes per article", fmt.Sprintf("%.0f B (%d MB)", f.BytesPerArt, mib(f.DBBytes)), "", 0, "", false)
	names := slices.Sorted(maps.Keys(f.PeakRSS))
	var peaks []string
	peak := 0
	for _, n := range names {
		peaks = append(peaks, fmt.Sprintf("%s %d", n, f.PeakRSS[n]))
		peak = max(peak, f.PeakRSS[n])
	}
	add("peak RSS of the run", fmt.Sprintf("%d MB", peak), strings.Join(peaks, ", ")+" MB", 0, "", false)
	if m := f.Memory; m != nil {
		add(fmt.Sprintf("RSS over %d warm passes + %d cold %s", len(m.RSSAfterWarmMB), len(m.RSSAfterColdMB), m.ColdCorpus),
			fmt.Sprintf("%d MB after the last (last tenth max %d)", m.RSSLastWarmMB, m.RSSLastTenthMB),
			fmt.Sprintf("%d MB after the first (first tenth max %d; %d at start, %d at end)", m.RSSFirstWarmMB, m.RSSFirstTenthMB, m.RSSStartMB, m.RSSEndMB),
			m.LastOverFirst(), fmt.Sprintf("≤ %.2f× (tenths)", goalMemoryGrowth), m.LastOverFirst() <= goalMemoryGrowth)
		add("  warm pass wall, last vs first", fmt.Sprintf("%.2f s", m.LastWarmS), fmt.Sprintf("%.2f s", m.FirstWarmS), m.LastWarmS/max(m.FirstWarmS, 0.001), "", false)
	}
	tw.write(w)
	if f.TargetArticles != 1_000_000 {
		fmt.Fprintf(w, "  note: the goals are set for 1,000,000 articles; this run built %d\n", f.BuiltArticles)
	}
	for _, n := range f.Notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
	for _, n := range scaleProblems(f) {
		fmt.Fprintf(w, "  PROBLEM: %s\n", n)
	}
}

// renderGoal is issue 20's goal for a page's uncached p99.
func renderGoal(r RenderTiming) (string, bool) {
	switch {
	case strings.HasPrefix(r.Page, "/articles/"):
		return fmt.Sprintf("p99 < %d ms", goalArticleP99), r.P99Ms < goalArticleP99
	case strings.HasSuffix(r.Page, ".atom"):
		return fmt.Sprintf("p99 < %d ms", goalFeedP99), r.P99Ms < goalFeedP99
	}
	return "", false
}

// scaleProblems are what makes the figures suspect.
func scaleProblems(f *ScaleFigures) []string {
	var out []string
	for _, p := range []struct {
		name string
		fig  *PassFigures
	}{{"cold pass into the empty store", f.ColdEmpty}, {"cold pass into the large store", f.ColdLarge},
		{"warm pass on the small store", f.WarmSmall}, {"warm pass on the large store", f.WarmLarge}} {
		if p.fig != nil && p.fig.Errors > 0 {
			out = append(out, fmt.Sprintf("%s: %d fetch errors, first: %s", p.name, p.fig.Errors, p.fig.FirstError))
		}
	}
	for _, p := range []*PassFigures{f.WarmSmall, f.WarmLarge} {
		if p != nil && p.Status304 != f.Feeds {
			out = append(out, fmt.Sprintf("a warm pass got %d 304s of %d feeds", p.Status304, f.Feeds))
		}
	}
	if m := f.Memory; m != nil && m.WarmNot304 > 0 {
		out = append(out, fmt.Sprintf("memory run: %d warm fetches were not 304", m.WarmNot304))
	}
	if p := f.Prune; p != nil && p.During.Requests == 0 {
		out = append(out, "no reader request fell within the prune")
	}
	return out
}

func passText(p *PassFigures) string {
	return fmt.Sprintf("%.2f s (%.0f items/s, %d new)", p.WallSeconds, p.ItemsPerSec, p.New)
}

func warmText(p *PassFigures) string {
	return fmt.Sprintf("%.2f s (%d/%d 304)", p.WallSeconds, p.Status304, p.Fetches)
}

func renderText(r RenderTiming) string {
	if r.N == 0 {
		return ""
	}
	return fmt.Sprintf("%.2f/%.2f ms", r.P50Ms, r.P99Ms)
}

func readerText(r ReaderFigure) string {
	return fmt.Sprintf("%.1f/%.1f ms, %d of %d", r.P50Ms, r.P99Ms, r.Errors, r.Requests)
}
