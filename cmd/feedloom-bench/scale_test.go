package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestScaleRun runs -scale at a tiny size end to end (build, passes,
// renders, `feedloom serve`, the prune under readers, memory over passes),
// so the long part of the bench keeps working without its hour.
func TestScaleRun(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end bench run; skipped with -short")
	}
	jsonPath := filepath.Join(t.TempDir(), "bench.json")
	var out, errs bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	args := []string{"-scale", "-scale-articles", "2000", "-scale-feeds", "100", "-scale-cold", "20x10",
		"-scale-memory-cold", "20x2", "-scale-warm-passes", "4", "-scale-cold-batches", "2", "-scale-renders", "10",
		"-scale-readers", "2", "-scale-baseline", "200ms", "-json", jsonPath}
	if code := run(ctx, args, &out, &errs); code != 0 {
		t.Fatalf("run exited %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errs.String())
	}
	t.Logf("\n%s", out.String())
	for _, want := range []string{"SCALE", "cold pass 20x10", "warm pass 100 feeds", "feedloom serve", "uncached /articles/{id}",
		"uncached /sources", "prune of", "bytes per article", "RSS over 4 warm passes"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q", want)
		}
	}
	if strings.Contains(out.String(), "PROBLEM") {
		t.Errorf("the run reports problems")
	}
	data, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var res Results
	if err := json.Unmarshal(data, &res); err != nil {
		t.Fatalf("json: %v", err)
	}
	s := res.Scale
	if s == nil || s.BuiltArticles < 2000 || s.Prune == nil || s.Prune.Deleted == 0 || s.Memory == nil || s.Start == nil {
		t.Fatalf("scale figures incomplete: %+v", s)
	}
	if s.Prune.During.Errors+s.Prune.Baseline.Errors > 0 {
		t.Errorf("readers got errors: %+v", s.Prune)
	}
}
