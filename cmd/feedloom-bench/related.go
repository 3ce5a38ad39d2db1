package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// RelatedFigures are feeds/related's benchmark at one size, run in a child
// so that its peak RSS is its own.
type RelatedFigures struct {
	Articles       int     `json:"articles"`
	Tags           int     `json:"tags"`
	Capped         int     `json:"capped_tags"`
	PutAllSeconds  float64 `json:"put_all_s"`         // posting lists of every article
	RebuildSeconds float64 `json:"rebuild_s"`         // every list from scratch
	HeapMB         float64 `json:"index_heap_mb"`     // live heap growth from building the index
	EstimateMB     float64 `json:"index_estimate_mb"` // the index's own estimate
	InsertMedianUs float64 `json:"insert_median_us"`  // Put + Refresh of one new article
	InsertP99Us    float64 `json:"insert_p99_us"`
	InsertMaxUs    float64 `json:"insert_max_us"`
	ListsPerInsert float64 `json:"lists_per_insert"`
	QueryMedianUs  float64 `json:"query_median_us"` // one list computed from scratch
	QueryP99Us     float64 `json:"query_p99_us"`
	RemoveMedianUs float64 `json:"remove_median_us"`
	RemoveP99Us    float64 `json:"remove_p99_us"`
	WallSeconds    float64 `json:"wall_s"`
	CPUSeconds     float64 `json:"cpu_s"`
	PeakRSSBytes   int64   `json:"peak_rss_bytes"`
	Skipped        string  `json:"skipped,omitempty"`
}

// runRelated is the child side: runRelatedBench at job.Articles.
func runRelated(job childJob) (RelatedFigures, error) {
	var r relatedResult
	wall, cpu, peak, err := measure("", func() error {
		r = runRelatedBench(job.Articles, job.Seed, io.Discard)
		return nil
	})
	if err != nil {
		return RelatedFigures{}, err
	}
	us := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
	return RelatedFigures{
		Articles: r.Articles, Tags: r.Tags, Capped: r.Capped,
		PutAllSeconds: r.PutAll.Seconds(), RebuildSeconds: r.Rebuild.Seconds(),
		HeapMB: float64(r.HeapBytes) / (1 << 20), EstimateMB: float64(r.EstimateBytes) / (1 << 20),
		InsertMedianUs: us(r.InsertMedian), InsertP99Us: us(r.InsertP99), InsertMaxUs: us(r.InsertMax),
		ListsPerInsert: r.ListsPerInsert,
		QueryMedianUs:  us(r.QueryMedian), QueryP99Us: us(r.QueryP99),
		RemoveMedianUs: us(r.RemoveMedian), RemoveP99Us: us(r.RemoveP99),
		WallSeconds: wall.Seconds(), CPUSeconds: cpu.Seconds(), PeakRSSBytes: peak,
	}, nil
}

// measureRelated runs the related benchmark at each size, giving up on a
// size (and reporting it skipped) after o.relatedTimeout.
func measureRelated(ctx context.Context, o *options, progress func(string)) ([]RelatedFigures, error) {
	var out []RelatedFigures
	for _, n := range o.relatedSizes {
		progress(fmt.Sprintf("related: %d articles (gives up after %v)", n, o.relatedTimeout))
		cctx, cancel := context.WithTimeout(ctx, o.relatedTimeout)
		var f RelatedFigures
		_, err := runChild(cctx, childJob{Kind: jobRelated, Articles: n, Seed: o.seed}, &f)
		timedOut := errors.Is(cctx.Err(), context.DeadlineExceeded)
		cancel()
		switch {
		case timedOut:
			out = append(out, RelatedFigures{Articles: n, Skipped: fmt.Sprintf("did not finish within %v", o.relatedTimeout)})
		case err != nil:
			return out, err
		default:
			out = append(out, f)
		}
	}
	return out, nil
}
