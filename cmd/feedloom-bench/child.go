package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Every measured ingest and the related benchmark run in a child process:
// a peak RSS is process-wide and only grows, so it is only meaningful for a
// process that did nothing else, and the origin (which runs in the parent)
// must not be counted in the client's CPU time. The bench
// binary re-executes itself with childEnv naming a job file; the child
// writes its result as JSON on stdout.
const childEnv = "FEEDLOOM_BENCH_CHILD"

// Job kinds.
const (
	jobFeedloom    = "feedloom"     // storage.Open + scheduler.New + RunOnce, cold then warm
	jobFloorParse  = "floor-parse"  // floor (a): download and parse with gofeed
	jobFloorSQLite = "floor-sqlite" // floor (b): (a) plus a plain SQLite insert, one transaction per feed
	jobRelated     = "related"      // runRelatedBench
	jobServe       = "serve"        // fill a small store, serve it with feeds/web until stdin closes
	jobScale       = "scale"        // answer scaleOps on one large store until stdin closes
)

// childJob is what the parent asks a child to do.
type childJob struct {
	Kind        string   `json:"kind"`
	Dir         string   `json:"dir"` // a fresh temp dir of the child's own
	URLs        []string `json:"urls,omitempty"`
	Concurrency int      `json:"concurrency,omitempty"`
	PerHost     int      `json:"per_host,omitempty"`
	CPUProfile  string   `json:"cpu_profile,omitempty"` // profile the cold pass into this file
	Articles    int      `json:"articles,omitempty"`    // related: index size
	Seed        int64    `json:"seed,omitempty"`
	Store       string   `json:"store,omitempty"`        // scale: the store, kept after the child exits
	PruneOldest int      `json:"prune_oldest,omitempty"` // scale: retention.max_age set to expire this many articles
}

// usage is a reading of the process's CPU time and peak RSS.
type usage struct {
	cpu    time.Duration // user + system, getrusage(RUSAGE_SELF)
	maxRSS int64         // bytes
}

// getUsage reads CPU time from getrusage and the peak RSS from
// /proc/self/status (VmHWM): on Linux, getrusage's maxrss survives execve
// and a child started by a Go parent (clone with CLONE_VM, then exec)
// inherits the parent's peak, so it would report the parent's corpus.
// VmHWM belongs to the child's own address space. Elsewhere maxrss is used.
func getUsage() usage {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return usage{}
	}
	u := usage{cpu: time.Duration(ru.Utime.Nano() + ru.Stime.Nano())}
	if hwm, ok := vmHWM(); ok {
		u.maxRSS = hwm
		return u
	}
	u.maxRSS = int64(ru.Maxrss)
	if runtime.GOOS != "darwin" { // the BSDs report kilobytes, macOS bytes
		u.maxRSS *= 1024
	}
	return u
}

// vmHWM is the peak resident set size of this process's address space.
func vmHWM() (int64, bool) { return procStatusBytes("/proc/self/status", "VmHWM") }

// procStatusBytes reads one "kB" field (VmRSS, VmHWM) of a
// /proc/PID/status file, in bytes.
func procStatusBytes(path, field string) (int64, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			f := strings.Fields(v)
			if len(f) == 2 && f[1] == "kB" {
				if kb, err := strconv.ParseInt(f[0], 10, 64); err == nil {
					return kb * 1024, true
				}
			}
		}
	}
	return 0, false
}

// measure runs fn and returns its wall time, CPU time and the process's
// peak RSS afterwards, with a CPU profile of fn when profile is not empty.
func measure(profile string, fn func() error) (wall, cpu time.Duration, peak int64, err error) {
	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			return 0, 0, 0, fmt.Errorf("cpu profile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return 0, 0, 0, fmt.Errorf("cpu profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	u0, t0 := getUsage(), time.Now()
	err = fn()
	wall = time.Since(t0)
	u1 := getUsage()
	return wall, u1.cpu - u0.cpu, u1.maxRSS, err
}

// childMain runs the job named by childEnv and exits.
func childMain(jobFile string) int {
	ctx := context.Background()
	data, err := os.ReadFile(jobFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, "feedloom-bench child:", err)
		return 1
	}
	var job childJob
	if err := json.Unmarshal(data, &job); err != nil {
		fmt.Fprintln(os.Stderr, "feedloom-bench child: job:", err)
		return 1
	}
	var res any
	switch job.Kind {
	case jobFeedloom:
		res, err = runFeedloomIngest(ctx, job)
	case jobFloorParse, jobFloorSQLite:
		res, err = runFloor(ctx, job)
	case jobRelated:
		res, err = runRelated(job)
	case jobServe:
		err = runServeChild(ctx, job, os.Stdin, os.Stdout)
	case jobScale:
		err = runScaleChild(ctx, job, os.Stdin, os.Stdout)
	default:
		err = fmt.Errorf("unknown job kind %q", job.Kind)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "feedloom-bench child %s: %v\n", job.Kind, err)
		return 1
	}
	if res != nil {
		if err := json.NewEncoder(os.Stdout).Encode(res); err != nil {
			fmt.Fprintln(os.Stderr, "feedloom-bench child:", err)
			return 1
		}
	}
	return 0
}

// child is a started child process.
type child struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout io.ReadCloser
	stderr *tailBuffer
	dir    string
	kind   string
}

// startChild writes job into a fresh temp dir (which becomes job.Dir) and
// starts this binary on it.
func startChild(ctx context.Context, job childJob) (*child, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find own executable: %w", err)
	}
	dir, err := os.MkdirTemp("", "feedloom-bench-"+job.Kind+"-")
	if err != nil {
		return nil, fmt.Errorf("temp dir: %w", err)
	}
	job.Dir = dir
	data, err := json.Marshal(job)
	if err != nil {
		return nil, fmt.Errorf("job: %w", err)
	}
	jobFile := filepath.Join(dir, "job.json")
	if err := os.WriteFile(jobFile, data, 0o600); err != nil {
		return nil, fmt.Errorf("job: %w", err)
	}
	cmd := exec.CommandContext(ctx, exe)
	cmd.Env = append(os.Environ(), childEnv+"="+jobFile)
	cmd.Dir = dir
	c := &child{cmd: cmd, stderr: &tailBuffer{max: 8 << 10}, dir: dir, kind: job.Kind}
	cmd.Stderr = c.stderr
	if c.stdin, err = cmd.StdinPipe(); err != nil {
		return nil, fmt.Errorf("child: %w", err)
	}
	if c.stdout, err = cmd.StdoutPipe(); err != nil {
		return nil, fmt.Errorf("child: %w", err)
	}
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start child %s: %w", job.Kind, err)
	}
	return c, nil
}

// wait waits for the child, decodes its JSON result into out and removes
// its temp dir.
func (c *child) wait(out any) error {
	defer os.RemoveAll(c.dir)
	_ = c.stdin.Close() // nothing is written; closing tells a serve child to stop
	data, rerr := io.ReadAll(c.stdout)
	if err := c.cmd.Wait(); err != nil {
		return fmt.Errorf("child %s: %w\n%s", c.kind, err, c.stderr.String())
	}
	if rerr != nil {
		return fmt.Errorf("child output: %w", rerr)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("child output %q: %w\n%s", truncate(string(data), 200), err, c.stderr.String())
	}
	return nil
}

// runChild starts a child on job and waits for its result.
func runChild(ctx context.Context, job childJob, out any) (stderr string, err error) {
	c, err := startChild(ctx, job)
	if err != nil {
		return "", err
	}
	err = c.wait(out)
	return c.stderr.String(), err
}

// tailBuffer keeps the last max bytes written to it (a child's stderr).
// It is read while the child still writes (the scale part reads a running
// daemon's start-up lines), so a mutex guards it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   bytes.Buffer
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b.Write(p)
	if over := t.b.Len() - t.max; over > 0 {
		t.b.Next(over)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.b.String()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
