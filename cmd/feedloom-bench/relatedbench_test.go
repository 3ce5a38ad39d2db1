package main

import (
	"fmt"
	"os"
	"testing"
)

// BenchmarkRelated runs the benchmark: a synthetic corpus of 100k
// and 1M articles; the figures are reported as metrics and printed.
// Run: go test -run x -bench Related -benchtime 1x ./cmd/feedloom-bench/
// (-bench Related/100k for the smaller one only).
func BenchmarkRelated(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("%dk", n/1000), func(b *testing.B) {
			var r relatedResult
			for b.Loop() {
				r = runRelatedBench(n, 1, os.Stdout)
			}
			b.ReportMetric(float64(r.InsertMedian.Microseconds()), "insert-median-µs")
			b.ReportMetric(float64(r.InsertP99.Microseconds()), "insert-p99-µs")
			b.ReportMetric(float64(r.HeapBytes)/(1<<20), "index-MB")
			b.ReportMetric(r.Rebuild.Seconds(), "rebuild-s")
		})
	}
}
