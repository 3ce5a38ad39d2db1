package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/feeds/config"
	"github.com/feedloom/feedloom/feeds/web"
	"github.com/feedloom/feedloom/storage"
)

// sourcesRenders is how many first renders of each page are timed.
const sourcesRenders = 5

// SourcesFigures is the first render of /sources and /sources.json at one
// number of sources, wired as `feedloom serve` wires it (a running
// scheduler answering NextRun for every source).
type SourcesFigures struct {
	Sources   int     `json:"sources"`
	PageMs    float64 `json:"page_ms"`     // median wall time of a first render of /sources
	PageCPUMs float64 `json:"page_cpu_ms"` // median CPU time (process user+system) of one
	PageBytes int     `json:"page_bytes"`
	JSONMs    float64 `json:"json_ms"`
	JSONCPUMs float64 `json:"json_cpu_ms"`
	JSONBytes int     `json:"json_bytes"`
}

// measureSources times the source health pages at each number of sources
// (by default the 2,500, 5,000 and 10,000, to show the cost is
// linear).
func measureSources(ctx context.Context, sizes []int, progress func(string)) ([]SourcesFigures, error) {
	var out []SourcesFigures
	for _, n := range sizes {
		progress(fmt.Sprintf("sources: %d sources", n))
		f, err := measureSourcesAt(ctx, n)
		if err != nil {
			return nil, fmt.Errorf("%d sources: %w", n, err)
		}
		out = append(out, f)
	}
	return out, nil
}

func measureSourcesAt(ctx context.Context, n int) (SourcesFigures, error) {
	f := SourcesFigures{Sources: n}
	dir, err := os.MkdirTemp("", "feedloom-bench-sources-")
	if err != nil {
		return f, err
	}
	defer os.RemoveAll(dir)
	cfg := config.Default()
	cfg.Database = filepath.Join(dir, "feedloom.db")
	cfg.Fetch.OnStart = false
	for i := range n {
		cfg.Sources = append(cfg.Sources, feeds.Source{Name: fmt.Sprintf("src-%05d", i),
			URL: fmt.Sprintf("https://feeds%d.example.org/news/rss.xml", i), Title: fmt.Sprintf("Desk %d", i),
			Tags: []string{topics[i%len(topics)]}, Schedule: "@every 24h"})
	}
	db, err := storage.Open(ctx, cfg.Database)
	if err != nil {
		return f, err
	}
	defer db.Close()
	log := slog.New(slog.DiscardHandler)
	sched, err := newScheduler(cfg, db, log)
	if err != nil {
		return f, err
	}
	if err := db.SyncSources(ctx, cfg.Sources); err != nil {
		return f, err
	}
	if err := saveStates(ctx, db, cfg.Sources); err != nil {
		return f, err
	}
	sctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- sched.Run(sctx) }()
	defer func() { stop(); <-done }()
	// Run has scheduled every source once the last has a cron entry.
	last := cfg.Sources[n-1].Name
	for _, ok := sched.Next(last); !ok; _, ok = sched.Next(last) {
		select {
		case err := <-done:
			return f, fmt.Errorf("scheduler: %w", err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	settings := web.Settings{Title: cfg.Title, BaseURL: cfg.BaseURL, Sources: cfg.Sources}
	h, err := web.New(web.Options{Store: db, Logger: log, NextRun: sched.Next}, settings)
	if err != nil {
		return f, err
	}
	if f.PageMs, f.PageCPUMs, f.PageBytes, err = firstRenders(h, settings, "/sources"); err != nil {
		return f, err
	}
	if f.JSONMs, f.JSONCPUMs, f.JSONBytes, err = firstRenders(h, settings, "/sources.json"); err != nil {
		return f, err
	}
	return f, nil
}

// saveStates gives every source a fetch state, a tenth of them failing,
// through the writer's groups as concurrent fetches would.
func saveStates(ctx context.Context, db *storage.DB, srcs []feeds.Source) error {
	at := time.Now().Add(-time.Minute).Truncate(time.Second)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for w := range 16 {
		wg.Go(func() {
			for i := w; i < len(srcs); i += 16 {
				st := feeds.SourceState{Name: srcs[i].Name, URL: srcs[i].URL, LastFetch: at, LastSuccess: at,
					LastStatus: 200, ETag: `"abc"`, ItemCount: 50, NextAttempt: at.Add(10 * time.Minute)}
				if i%10 == 3 {
					st.LastStatus, st.Failures, st.LastError = 503, 2, "fetch: status 503: Service Unavailable"
				}
				if err := db.SaveFetchState(ctx, st); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	return first
}

// firstRenders times sourcesRenders first renders of path (each after
// Apply, which invalidates the cached page as a fetch-state write does)
// and returns the median wall and CPU milliseconds and the body size.
func firstRenders(h *web.Handler, settings web.Settings, path string) (wallMs, cpuMs float64, size int, err error) {
	var walls, cpus []float64
	for range sourcesRenders {
		if err := h.Apply(settings); err != nil {
			return 0, 0, 0, err
		}
		w := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, path, nil)
		c0, t0 := cpuTime(), time.Now()
		h.ServeHTTP(w, req)
		walls = append(walls, float64(time.Since(t0).Microseconds())/1000)
		cpus = append(cpus, float64((cpuTime()-c0).Microseconds())/1000)
		if w.Code != http.StatusOK {
			return 0, 0, 0, fmt.Errorf("%s: status %d: %.200s", path, w.Code, w.Body.String())
		}
		size = w.Body.Len()
	}
	return median(walls), median(cpus), size, nil
}

// cpuTime is this process's user+system time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// writeSources prints the sources block of the table.
func writeSources(w io.Writer, figs []SourcesFigures) {
	if len(figs) == 0 {
		return
	}
	fmt.Fprintf(w, "\nSOURCES (first render of /sources and /sources.json, median of %d, a running scheduler as in serve; target 100 ms at 10,000)\n", sourcesRenders)
	tw := newTable("sources", "/sources ms", "CPU ms", "KB", "/sources.json ms", "CPU ms", "KB")
	for _, f := range figs {
		tw.add(fmt.Sprint(f.Sources), fmt.Sprintf("%.1f", f.PageMs), fmt.Sprintf("%.1f", f.PageCPUMs), fmt.Sprint(f.PageBytes/1000),
			fmt.Sprintf("%.1f", f.JSONMs), fmt.Sprintf("%.1f", f.JSONCPUMs), fmt.Sprint(f.JSONBytes/1000))
	}
	tw.write(w)
}
