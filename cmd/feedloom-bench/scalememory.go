package main

import (
	"context"
	"fmt"
	"slices"
)

// MemoryFigures are one process doing many warm passes with a few cold
// batches among them, as the daemon does over days: does its RSS settle?
type MemoryFigures struct {
	WarmPasses     int    `json:"warm_passes"`
	ColdBatches    int    `json:"cold_batches"`
	ColdCorpus     string `json:"cold_corpus"`
	ArticlesStart  int    `json:"articles_start"`
	ArticlesEnd    int    `json:"articles_end"`
	RSSStartMB     int    `json:"rss_start_mb"`            // after opening the store and building the index
	RSSFirstWarmMB int    `json:"rss_after_first_warm_mb"` // after the first warm pass
	RSSLastWarmMB  int    `json:"rss_after_last_warm_mb"`
	RSSEndMB       int    `json:"rss_end_mb"`
	PeakMB         int    `json:"peak_rss_mb"`
	RSSAfterColdMB []int  `json:"rss_after_each_cold_mb"`
	RSSAfterWarmMB []int  `json:"rss_after_each_warm_mb"`
	// The highest RSS after any of the first and of the last tenth of the
	// warm passes: a single reading lands anywhere in the GC's cycle (the
	// heap doubles before a collection), the highest of several does not.
	RSSFirstTenthMB int     `json:"rss_first_tenth_max_mb"`
	RSSLastTenthMB  int     `json:"rss_last_tenth_max_mb"`
	FirstWarmS      float64 `json:"first_warm_s"`
	LastWarmS       float64 `json:"last_warm_s"`
	WarmNot304      int     `json:"warm_not_304"` // fetches of the warm passes that were not 304
	ColdMedianWallS float64 `json:"cold_median_wall_s"`
}

// LastOverFirst is the RSS after the last warm pass over that after the
// first (issue 20: within 10%).
// It compares the highest readings of the first and last tenth.
func (m *MemoryFigures) LastOverFirst() float64 {
	return float64(m.RSSLastTenthMB) / float64(max(1, m.RSSFirstTenthMB))
}

// tenths fills the windowed readings from the series.
func (m *MemoryFigures) tenths() {
	n := len(m.RSSAfterWarmMB)
	w := max(1, n/10)
	if n == 0 {
		return
	}
	m.RSSFirstTenthMB, m.RSSLastTenthMB = slices.Max(m.RSSAfterWarmMB[:w]), slices.Max(m.RSSAfterWarmMB[n-w:])
}

// measureMemory runs so.warmPasses warm passes of every source in one
// scale child, a cold batch of new items after every warmPasses/coldBatches
// of them, reading its RSS as it goes.
func measureMemory(ctx context.Context, o *options, org *origin, job childJob, f *ScaleFigures, progress func(string)) error {
	so := o.scale
	sc, err := startScaleChild(ctx, job)
	if err != nil {
		return err
	}
	defer sc.close()
	m := &MemoryFigures{WarmPasses: so.warmPasses, ColdBatches: so.coldBatches, ColdCorpus: so.memCold.String()}
	f.Memory = m // partial figures are printed if the run is cut short
	defer m.tenths()
	rep, err := sc.call(scaleOp{Op: opUsage})
	if err != nil {
		return err
	}
	m.RSSStartMB, m.ArticlesStart = mib(rep.RSS), rep.Articles
	every := max(1, so.warmPasses/max(1, so.coldBatches))
	var coldWalls []float64
	for i := range so.warmPasses {
		if i%50 == 0 {
			progress(fmt.Sprintf("scale: memory: warm pass %d/%d, RSS %d MB", i+1, so.warmPasses, mib(rep.RSS)))
		}
		if rep, err = sc.call(scaleOp{Op: opPass}); err != nil {
			return err
		}
		m.WarmNot304 += rep.Pass.Fetches - rep.Pass.Status304
		if i == 0 {
			m.RSSFirstWarmMB, m.FirstWarmS = mib(rep.RSS), rep.Pass.WallSeconds
		}
		m.RSSLastWarmMB, m.LastWarmS = mib(rep.RSS), rep.Pass.WallSeconds
		m.RSSAfterWarmMB = append(m.RSSAfterWarmMB, mib(rep.RSS))
		if (i+1)%every == 0 && len(coldWalls) < so.coldBatches {
			c := GenerateCorpus(uint64(o.seed)+2000+uint64(len(coldWalls)), o.epoch, so.memCold.feeds, so.memCold.items)
			org.serve(c)
			if rep, err = sc.call(scaleOp{Op: opPass, Sources: so.memCold.feeds}); err != nil {
				return err
			}
			coldWalls = append(coldWalls, rep.Pass.WallSeconds)
			m.RSSAfterColdMB = append(m.RSSAfterColdMB, mib(rep.RSS))
		}
	}
	m.RSSEndMB, m.PeakMB, m.ArticlesEnd = mib(rep.RSS), mib(rep.PeakRSS), rep.Articles
	m.tenths()
	if len(coldWalls) > 0 {
		m.ColdMedianWallS = median(coldWalls)
	}
	f.PeakRSS["memory over time"] = m.PeakMB
	return sc.close()
}
