package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/feedloom/feedloom/feeds/web"
	"github.com/feedloom/feedloom/storage"
)

// servePath is the document measured: the built-in output of every
// article, 50 entries (the default limit), as Atom.
const servePath = "/feeds/all.atom"

// serveReady is the serve child's first line on stdout.
type serveReady struct {
	Addr     string `json:"addr"`
	Articles int    `json:"articles"`
	Errors   int    `json:"errors"`
}

// runServeChild fills a store from the job's feeds through the real
// pipeline, serves it with feeds/web as `feedloom serve` does (same
// handler options, server timeouts, metrics registry and generation
// watcher), announces its address on out, and serves until in closes.
func runServeChild(ctx context.Context, job childJob, in io.Reader, out io.Writer) error {
	cfg := benchConfig(job)
	db, err := storage.Open(ctx, cfg.Database)
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	defer db.Close()
	log := slog.New(slog.DiscardHandler)
	sched, err := newScheduler(cfg, db, log)
	if err != nil {
		return err
	}
	results, err := sched.RunOnce(ctx, nil, false, nil)
	if err != nil {
		return fmt.Errorf("ingest: %w", err)
	}
	ready := serveReady{}
	for _, r := range results {
		if r.Err != nil {
			ready.Errors++
		}
	}
	st, err := db.Stats(ctx)
	if err != nil {
		return fmt.Errorf("stats: %w", err)
	}
	ready.Articles = st.Articles

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	ready.Addr = ln.Addr().String()
	reg := prometheus.NewRegistry()
	h, err := web.New(web.Options{Store: db, Logger: log, Registerer: reg, Gatherer: reg},
		web.Settings{Title: cfg.Title, BaseURL: "http://" + ready.Addr + "/", Sources: cfg.Sources})
	if err != nil {
		return fmt.Errorf("web: %w", err)
	}
	srv := web.NewServer(ready.Addr, h)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	go db.Watch(wctx, 2*time.Second)
	if err := json.NewEncoder(out).Encode(ready); err != nil {
		return fmt.Errorf("announce: %w", err)
	}
	_, _ = io.Copy(io.Discard, in) // until the parent closes stdin
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// ServeFigures are the serving measurements.
type ServeFigures struct {
	Path          string     `json:"path"`
	Bytes         int        `json:"bytes"`
	Entries       int        `json:"entries"`
	StoreArticles int        `json:"store_articles"`
	Duration      string     `json:"duration"`
	Threads       int        `json:"wrk_threads"`
	Rows          []ServeRow `json:"rows"`
	Notes         []string   `json:"notes,omitempty"`
}

// ServeRow is one wrk run.
type ServeRow struct {
	Server     string  `json:"server"` // feedloom or nginx
	Status     int     `json:"status"` // 200 or 304
	Conns      int     `json:"connections"`
	ReqPerSec  float64 `json:"requests_per_s"`
	P50Ms      float64 `json:"p50_ms"`
	P99Ms      float64 `json:"p99_ms"`
	Requests   int64   `json:"requests"`
	Bad        int64   `json:"non_2xx_3xx"`
	ReadBytes  float64 `json:"read_bytes"` // what wrk read in all, headers included
	SocketErrs string  `json:"socket_errors,omitempty"`
	PctOfNginx float64 `json:"pct_of_nginx,omitempty"`
}

// measureServe runs the serve child on a small corpus, checks that it
// answers 200 and 304, then measures it and nginx with wrk.
func measureServe(ctx context.Context, o *options, progress func(string)) (*ServeFigures, error) {
	c := GenerateCorpus(uint64(o.seed)+1, o.epoch, o.serveCorpus.feeds, o.serveCorpus.items)
	org, err := startOrigin(c)
	if err != nil {
		return nil, err
	}
	defer org.Close()
	progress(fmt.Sprintf("serve: filling a store from %v feeds", o.serveCorpus))
	ch, err := startChild(ctx, childJob{Kind: jobServe, URLs: org.URLs(c), Concurrency: o.concurrency, PerHost: o.perHost})
	if err != nil {
		return nil, err
	}
	defer func() { _ = ch.wait(nil) }() // closes its stdin: it shuts down
	line, err := bufio.NewReader(ch.stdout).ReadBytes('\n')
	if err != nil {
		return nil, fmt.Errorf("serve child did not start: %w\n%s", err, ch.stderr.String())
	}
	var ready serveReady
	if err := json.Unmarshal(line, &ready); err != nil {
		return nil, fmt.Errorf("serve child: %w", err)
	}
	if ready.Errors > 0 {
		return nil, fmt.Errorf("serve child: %d sources failed to ingest\n%s", ready.Errors, ch.stderr.String())
	}
	f := &ServeFigures{Path: servePath, StoreArticles: ready.Articles, Duration: o.serveDuration.String(), Threads: 2}
	ours := "http://" + ready.Addr + servePath
	body, etag, err := checkConditional(ctx, ours)
	if err != nil {
		return nil, fmt.Errorf("feedloom: %w", err)
	}
	f.Bytes, f.Entries = len(body), strings.Count(string(body), "<entry>")

	wrk, note := findTool(ctx, o, o.wrk, "wrk")
	if note != "" {
		f.Notes = append(f.Notes, note)
	}
	if wrk == "" {
		f.Notes = append(f.Notes, "wrk not available: serve figures skipped (feedloom answered 200 and 304 correctly)")
		return f, nil
	}
	targets := []serveTarget{{name: "feedloom", url: ours, etag: etag}}
	ngx, note := findTool(ctx, o, o.nginx, "nginx")
	if note != "" {
		f.Notes = append(f.Notes, note)
	}
	if ngx == "" {
		f.Notes = append(f.Notes, "nginx not available: the nginx column is skipped")
	} else {
		n, err := startNginx(ctx, ngx, body)
		if err != nil {
			f.Notes = append(f.Notes, "nginx could not be started, column skipped: "+err.Error())
		} else {
			defer n.stop()
			_, netag, err := checkConditional(ctx, n.url)
			if err != nil {
				f.Notes = append(f.Notes, "nginx does not answer as expected, column skipped: "+err.Error())
			} else {
				targets = append(targets, serveTarget{name: "nginx", url: n.url, etag: netag})
			}
		}
	}
	for _, conns := range o.serveConns {
		for _, status := range []int{200, 304} {
			for _, t := range targets {
				progress(fmt.Sprintf("serve: %s %d at %d connections", t.name, status, conns))
				row, err := runWrk(ctx, wrk, t, status, conns, f.Threads, o.serveDuration)
				if err != nil {
					return nil, err
				}
				if per := row.ReadBytes / float64(max(1, row.Requests)); status == 304 && per > 2048 {
					f.Notes = append(f.Notes, fmt.Sprintf("%s 304 at %d connections read %.0f bytes per response: not 304s", t.name, conns, per))
				}
				f.Rows = append(f.Rows, row)
			}
		}
	}
	for i := range f.Rows {
		r := &f.Rows[i]
		for _, n := range f.Rows {
			if n.Server == "nginx" && r.Server != "nginx" && n.Status == r.Status && n.Conns == r.Conns && n.ReqPerSec > 0 {
				r.PctOfNginx = 100 * r.ReqPerSec / n.ReqPerSec
			}
		}
	}
	return f, nil
}

type serveTarget struct{ name, url, etag string }

// checkConditional GETs url, expects a 200 with an ETag, then sends that
// ETag back and expects a 304, both uncompressed as wrk's requests are.
func checkConditional(ctx context.Context, url string) (body []byte, etag string, err error) {
	get := func(inm string) (*http.Response, []byte, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return nil, nil, err
		}
		// As wrk asks: identity. (Go's transport would otherwise ask for gzip
		// and get the gzip variant's ETag, which never matches wrk's requests.)
		req.Header.Set("Accept-Encoding", "identity")
		if inm != "" {
			req.Header.Set("If-None-Match", inm)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, nil, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp, b, err
	}
	resp, body, err := get("")
	if err != nil {
		return nil, "", err
	}
	if etag = resp.Header.Get("ETag"); resp.StatusCode != 200 || etag == "" {
		return nil, "", fmt.Errorf("GET %s: status %d, ETag %q", url, resp.StatusCode, etag)
	}
	resp, _, err = get(etag)
	if err != nil {
		return nil, "", err
	}
	if resp.StatusCode != http.StatusNotModified {
		return nil, "", fmt.Errorf("GET %s with If-None-Match %s: status %d, want 304", url, etag, resp.StatusCode)
	}
	return body, etag, nil
}

// findTool finds a command, installing its Debian package when it is
// missing and o.install is set and we are root. path "" disables the tool.
func findTool(ctx context.Context, o *options, path, pkg string) (found, note string) {
	if path == "" {
		return "", ""
	}
	if p, err := exec.LookPath(path); err == nil {
		return p, ""
	}
	if !o.install || os.Geteuid() != 0 {
		return "", fmt.Sprintf("%s not found (install the Debian package %s)", path, pkg)
	}
	if _, err := exec.LookPath("apt-get"); err != nil {
		return "", fmt.Sprintf("%s not found and no apt-get to install it", path)
	}
	if !o.aptUpdated {
		if out, err := exec.CommandContext(ctx, "apt-get", "update").CombinedOutput(); err != nil {
			return "", fmt.Sprintf("apt-get update failed: %v: %s", err, truncate(string(out), 300))
		}
		o.aptUpdated = true
	}
	cmd := exec.CommandContext(ctx, "apt-get", "install", "-y", "--no-install-recommends", pkg)
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Sprintf("apt-get install %s failed: %v: %s", pkg, err, truncate(string(out), 300))
	}
	if p, err := exec.LookPath(path); err == nil {
		return p, fmt.Sprintf("installed %s with apt-get", pkg)
	}
	return "", fmt.Sprintf("%s still not found after installing %s", path, pkg)
}
