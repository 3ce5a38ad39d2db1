package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/feedloom/feedloom/feeds/config"
)

// DaemonStart is `feedloom serve` starting on the large store.
type DaemonStart struct {
	Articles       int     `json:"articles"`
	HealthzSeconds float64 `json:"healthz_s"` // from exec until /healthz answers 200
	ReadySeconds   float64 `json:"ready_s"`   // until /feeds/all.atom answers 200 as well
	RSSBytes       int64   `json:"rss_bytes"` // VmRSS right after
	PeakRSSBytes   int64   `json:"peak_rss_bytes"`
}

// PruneFigures are a retention run beside a serving daemon, with the
// daemon's readers before it (the counterpart) and during it.
type PruneFigures struct {
	Deleted  int          `json:"deleted"`
	MaxAge   string       `json:"max_age"`
	Seconds  float64      `json:"seconds"`
	Readers  int          `json:"readers"`
	Baseline ReaderFigure `json:"readers_before"`
	During   ReaderFigure `json:"readers_during"`
}

// ReaderFigure summarises the readers' requests of one window.
type ReaderFigure struct {
	Requests   int     `json:"requests"`
	P50Ms      float64 `json:"p50_ms"`
	P99Ms      float64 `json:"p99_ms"`
	Errors     int     `json:"errors"` // transport errors and statuses other than 200 and 304
	FirstError string  `json:"first_error,omitempty"`
}

// buildFeedloom builds cmd/feedloom into dir: the daemon is measured as
// admins run it, a process of its own.
func buildFeedloom(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "feedloom")
	out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/feedloom/feedloom/cmd/feedloom").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build cmd/feedloom: %w: %s", err, truncate(string(out), 500))
	}
	return bin, nil
}

// measureDaemon starts `feedloom serve` on the store, times its start,
// then prunes the oldest articles from a scale child while readers poll
// the daemon's feeds.
func measureDaemon(ctx context.Context, o *options, org *origin, job childJob, bin string, f *ScaleFigures, progress func(string)) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	cfgPath := filepath.Join(filepath.Dir(job.Store), "config.yaml")
	if err := writeDaemonConfig(cfgPath, job, port); err != nil {
		return err
	}
	progress(fmt.Sprintf("scale: feedloom serve on %d articles", f.StoreArticles))
	stderr := &tailBuffer{max: 8 << 10}
	cmd := exec.CommandContext(ctx, bin, "serve", "-config", cfgPath)
	cmd.Stderr = stderr
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start feedloom serve: %w", err)
	}
	defer stopDaemon(cmd)
	st := &DaemonStart{Articles: f.StoreArticles}
	if st.HealthzSeconds, err = waitOK(ctx, base+"/healthz", t0, stderr); err != nil {
		return err
	}
	if st.ReadySeconds, err = waitOK(ctx, base+servePath, t0, stderr); err != nil {
		return err
	}
	status := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
	st.RSSBytes, _ = procStatusBytes(status, "VmRSS")
	f.Start = st
	f.Notes = append(f.Notes, startSteps(stderr.String())...)
	if f.Prune, err = measurePrune(ctx, o, job, base, f.StoreArticles, progress); err != nil {
		return err
	}
	st.PeakRSSBytes, _ = procStatusBytes(status, "VmHWM")
	f.PeakRSS["feedloom serve"] = mib(st.PeakRSSBytes)
	return nil
}

// startSteps are the daemon's log lines of its start-up that say how long
// a step took (the database check, the related index), for the notes.
func startSteps(log string) []string {
	var out []string
	for _, line := range strings.Split(log, "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) != nil || rec["duration"] == nil {
			continue
		}
		d := rec["duration"]
		if ns, ok := d.(float64); ok { // slog's JSON handler writes a Duration as nanoseconds
			d = time.Duration(ns).Round(time.Millisecond)
		}
		out = append(out, fmt.Sprintf("feedloom serve start-up: %v: %v", rec["msg"], d))
	}
	return out
}

// writeDaemonConfig writes the daemon's config: the store's sources,
// nothing fetched at start and no cron tick during the run (a yearly
// schedule), so that the daemon only serves.
func writeDaemonConfig(path string, job childJob, port int) error {
	var b strings.Builder
	fmt.Fprintf(&b, "title: %q\nbase_url: \"http://127.0.0.1:%d/\"\nlisten: \"127.0.0.1:%d\"\ndatabase: %q\n"+
		"log_level: info\nlog_format: json\nfetch:\n  on_start: false\n  schedule: \"0 0 1 1 *\"\nsources:\n",
		config.Default().Title, port, port, job.Store)
	for _, s := range benchSources(config.Default(), job.URLs) {
		fmt.Fprintf(&b, "  - name: %s\n    url: %q\n    tags: [%s]\n", s.Name, s.URL, s.Tags[0])
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// waitOK polls url until it answers 200 and returns the time since t0.
func waitOK(ctx context.Context, url string, t0 time.Time, stderr *tailBuffer) (float64, error) {
	deadline := t0.Add(5 * time.Minute)
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return 0, err
		}
		if resp, err := http.DefaultClient.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Since(t0).Seconds(), nil
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return 0, fmt.Errorf("feedloom serve: %s did not answer 200: %s", url, stderr.String())
		}
		time.Sleep(10 * time.Millisecond) // polling a starting daemon, the resolution of the figure
	}
}

// stopDaemon sends SIGTERM and waits, killing it after a while.
func stopDaemon(cmd *exec.Cmd) {
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

// pruneShare is the share of the store the prune deletes, at most
// pruneMax articles (issue 20: 100,000 of 1,000,000).
const (
	pruneShare = 10
	pruneMax   = 100_000
)

// measurePrune runs readers against the daemon for a baseline, then a
// scale child that applies a retention.max_age expiring the oldest tenth
// of the store — `feedloom prune` beside the daemon, a supported setup —
// and keeps the readers going until it is done.
func measurePrune(ctx context.Context, o *options, job childJob, base string, articles int, progress func(string)) (*PruneFigures, error) {
	n := min(pruneMax, articles/pruneShare)
	progress(fmt.Sprintf("scale: %d readers for %v, then a prune of %d articles", o.scale.readers, o.scale.baseline, n))
	rd := startReaders(ctx, base, o.scale.readers)
	t0 := time.Now()
	select {
	case <-ctx.Done():
		rd.stop()
		return nil, ctx.Err()
	case <-time.After(o.scale.baseline): // the measurement window itself
	}
	baseEnd := time.Now()
	job.PruneOldest = n
	sc, err := startScaleChild(ctx, job)
	if err != nil {
		rd.stop()
		return nil, err
	}
	rep, err := sc.call(scaleOp{Op: opPrune})
	samples := rd.stop()
	if err = errors.Join(err, sc.close()); err != nil {
		return nil, err
	}
	p := rep.Prune
	return &PruneFigures{Deleted: p.Deleted, MaxAge: p.MaxAge, Seconds: p.End.Sub(p.Start).Seconds(), Readers: o.scale.readers,
		Baseline: summarise(samples, t0, baseEnd), During: summarise(samples, p.Start, p.End)}, nil
}

// readerPaths are what the readers poll: the built-in feed in two formats
// and the feeds of the commonest tags.
var readerPaths = []string{servePath, "/feeds/all.json", "/tags/" + topics[0] + ".atom", "/tags/" + topics[1] + ".atom",
	"/tags/" + topics[2] + ".rss"}

// readerSample is one reader request.
type readerSample struct {
	at  time.Time // when it was sent
	ms  float64
	err string // "" for a 200 or 304
}

// readers are feed readers polling the daemon back to back.
type readers struct {
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	mu      sync.Mutex
	samples []readerSample
}

// startReaders starts n readers; each polls readerPaths in turn with the
// ETag it last got for the path, as feed readers do.
func startReaders(ctx context.Context, base string, n int) *readers {
	ctx, cancel := context.WithCancel(ctx)
	rd := &readers{cancel: cancel}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: n}, Timeout: 30 * time.Second}
	for i := range n {
		rd.wg.Go(func() {
			etags := map[string]string{}
			var mine []readerSample
			for k := i; ctx.Err() == nil; k++ {
				path := readerPaths[k%len(readerPaths)]
				s := readOnce(ctx, client, base+path, etags, path)
				if ctx.Err() == nil {
					mine = append(mine, s)
				}
			}
			rd.mu.Lock()
			rd.samples = append(rd.samples, mine...)
			rd.mu.Unlock()
		})
	}
	return rd
}

func readOnce(ctx context.Context, client *http.Client, url string, etags map[string]string, path string) readerSample {
	s := readerSample{at: time.Now()}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		s.err = err.Error()
		return s
	}
	if e := etags[path]; e != "" {
		req.Header.Set("If-None-Match", e)
	}
	resp, err := client.Do(req)
	if err == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	s.ms = float64(time.Since(s.at).Microseconds()) / 1000
	switch {
	case err != nil:
		s.err = err.Error()
	case resp.StatusCode == http.StatusOK:
		etags[path] = resp.Header.Get("ETag")
	case resp.StatusCode != http.StatusNotModified:
		s.err = fmt.Sprintf("%s: status %d", path, resp.StatusCode)
	}
	return s
}

// stop ends the readers and returns every request they made.
func (rd *readers) stop() []readerSample {
	rd.cancel()
	rd.wg.Wait()
	return rd.samples
}

// summarise is the readers' figure for the requests sent in [from, to].
func summarise(samples []readerSample, from, to time.Time) ReaderFigure {
	var f ReaderFigure
	var ms []float64
	for _, s := range samples {
		if s.at.Before(from) || s.at.After(to) {
			continue
		}
		f.Requests++
		ms = append(ms, s.ms)
		if s.err != "" {
			f.Errors++
			if f.FirstError == "" {
				f.FirstError = s.err
			}
		}
	}
	f.P50Ms, f.P99Ms = percentile(ms, 0.50), percentile(ms, 0.99)
	return f
}
