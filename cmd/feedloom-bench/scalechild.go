package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/feedloom/feedloom/feeds/config"
	"github.com/feedloom/feedloom/feeds/web"
	"github.com/feedloom/feedloom/scheduler"
	"github.com/feedloom/feedloom/storage"
)

// The scale child keeps one large store open and answers the parent's
// operations, one JSON line each way, so that the parent can change what
// its origin serves between passes while the child's RSS stays its own
// (the corpus lives in the parent).
const (
	opPass      = "pass"       // RunOnce over the first Sources sources (0: all)
	opEmptyPass = "empty-pass" // the same into a fresh empty store, removed afterwards
	opRenders   = "renders"    // uncached renders of the measured pages
	opPrune     = "prune"      // Retain with the job's shortened max_age
	opUsage     = "usage"      // RSS now and peak
)

// scaleOp is one request to the scale child.
type scaleOp struct {
	Op      string `json:"op"`
	Sources int    `json:"sources,omitempty"`
	Renders int    `json:"renders,omitempty"` // renders per page
	Seed    int64  `json:"seed,omitempty"`
	Profile string `json:"profile,omitempty"` // pass: write a CPU profile of it here
}

// scaleReply is the child's answer to one scaleOp.
type scaleReply struct {
	Pass     *passResult    `json:"pass,omitempty"`
	Renders  []RenderTiming `json:"renders,omitempty"`
	Prune    *PruneTiming   `json:"prune,omitempty"`
	Articles int            `json:"articles"`
	DBBytes  int64          `json:"db_bytes"`
	RSS      int64          `json:"rss_bytes"`
	PeakRSS  int64          `json:"peak_rss_bytes"`
	Err      string         `json:"error,omitempty"`
}

// RenderTiming is one page's uncached renders.
type RenderTiming struct {
	Page  string  `json:"page"`
	N     int     `json:"renders"`
	P50Ms float64 `json:"p50_ms"`
	P99Ms float64 `json:"p99_ms"`
	Bytes int     `json:"bytes"` // of the last render
}

// PruneTiming is one Retain call, with its bounds as wall-clock instants
// so the parent can pick the readers' requests made meanwhile.
type PruneTiming struct {
	Deleted int       `json:"deleted"`
	MaxAge  string    `json:"max_age"`
	Start   time.Time `json:"start"`
	End     time.Time `json:"end"`
}

// scaleChild is the child's state: the store and its pipeline.
type scaleChild struct {
	job   childJob
	cfg   *config.Config
	db    *storage.DB
	sched *scheduler.Scheduler
	web   *web.Handler
	log   *slog.Logger
}

// runScaleChild opens job.Store, builds the related index as the daemon
// does at start, then answers operations from in until it closes.
func runScaleChild(ctx context.Context, job childJob, in io.Reader, out io.Writer) error {
	c := &scaleChild{job: job, cfg: benchConfig(job), log: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	c.cfg.Database = job.Store
	if job.PruneOldest > 0 {
		age, err := ageOfOldest(ctx, job.Store, job.PruneOldest)
		if err != nil {
			return err
		}
		c.cfg.Retention.MaxAge = age
	}
	var err error
	if c.db, err = storage.Open(ctx, job.Store); err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	defer c.db.Close()
	if c.sched, err = newScheduler(c.cfg, c.db, c.log); err != nil {
		return err
	}
	if err := c.sched.BuildIndex(ctx); err != nil {
		return fmt.Errorf("build related index: %w", err)
	}
	sc := bufio.NewScanner(in)
	enc := json.NewEncoder(out)
	for sc.Scan() {
		var op scaleOp
		if err := json.Unmarshal(sc.Bytes(), &op); err != nil {
			return fmt.Errorf("op: %w", err)
		}
		rep, err := c.do(ctx, op)
		if err != nil {
			rep.Err = err.Error()
		}
		c.fillUsage(ctx, &rep)
		if err := enc.Encode(rep); err != nil {
			return fmt.Errorf("reply: %w", err)
		}
	}
	return sc.Err()
}

func (c *scaleChild) do(ctx context.Context, op scaleOp) (scaleReply, error) {
	var rep scaleReply
	var err error
	switch op.Op {
	case opPass:
		var p passResult
		p, err = timedPass(ctx, c.sched, c.names(op.Sources), op.Profile)
		rep.Pass = &p
	case opEmptyPass:
		var p passResult
		p, err = c.emptyPass(ctx, op.Sources)
		rep.Pass = &p
	case opRenders:
		rep.Renders, err = c.renders(ctx, op.Renders, op.Seed)
	case opPrune:
		rep.Prune, err = c.prune(ctx)
	case opUsage:
	default:
		err = fmt.Errorf("unknown op %q", op.Op)
	}
	return rep, err
}

// fillUsage adds the store's size and the process's memory to a reply.
func (c *scaleChild) fillUsage(ctx context.Context, rep *scaleReply) {
	if st, err := c.db.Stats(ctx); err == nil {
		rep.Articles, rep.DBBytes = st.Articles, st.DBBytes
	}
	rep.RSS, _ = procStatusBytes("/proc/self/status", "VmRSS")
	rep.PeakRSS, _ = vmHWM()
}

// names are the first n configured sources (nil, meaning all, for 0).
func (c *scaleChild) names(n int) []string {
	if n <= 0 || n >= len(c.cfg.Sources) {
		return nil
	}
	out := make([]string, n)
	for i := range out {
		out[i] = c.cfg.Sources[i].Name
	}
	return out
}

// emptyPass is the same pass into a fresh store with the same sources, the
// counterpart of a pass into the large one.
func (c *scaleChild) emptyPass(ctx context.Context, n int) (passResult, error) {
	dir, err := os.MkdirTemp(c.job.Dir, "empty-")
	if err != nil {
		return passResult{}, err
	}
	defer os.RemoveAll(dir)
	db, err := storage.Open(ctx, filepath.Join(dir, "feedloom.db"))
	if err != nil {
		return passResult{}, fmt.Errorf("open empty store: %w", err)
	}
	defer db.Close()
	sched, err := newScheduler(c.cfg, db, c.log)
	if err != nil {
		return passResult{}, err
	}
	if err := sched.BuildIndex(ctx); err != nil {
		return passResult{}, fmt.Errorf("build related index: %w", err)
	}
	return timedPass(ctx, sched, c.names(n), "")
}

// prune applies retention once and times it.
func (c *scaleChild) prune(ctx context.Context) (*PruneTiming, error) {
	t := &PruneTiming{MaxAge: c.cfg.Retention.MaxAge.String(), Start: time.Now()}
	n, err := c.sched.Retain(ctx)
	t.End, t.Deleted = time.Now(), n
	return t, err
}

// ageOfOldest is a retention.max_age that expires the n oldest articles
// of the store at path (give or take those published in the same second).
func ageOfOldest(ctx context.Context, path string, n int) (time.Duration, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var ms int64
	if err := db.QueryRowContext(ctx, `SELECT published FROM articles ORDER BY published LIMIT 1 OFFSET ?`, n).Scan(&ms); err != nil {
		return 0, fmt.Errorf("age of the %d oldest articles: %w", n, err)
	}
	return time.Since(time.UnixMilli(ms)).Truncate(time.Second), nil
}

// The pages whose renders are timed: an article, the built-in feed, the
// feed of the most common tag (every tenth source carries it) and the
// source health page.
var (
	popularTag  = topics[0]
	renderPages = []string{"/articles/{id}", "/feeds/all.atom", "/tags/" + popularTag + ".atom", "/sources"}
)

// renders times n uncached renders of each page. Uncached: before each
// request Apply swaps in the same settings, which invalidates every cached
// document (as a reload does), and the request carries no validator, so
// the handler queries the store and renders in full every time. Article
// pages are drawn at random from the whole store.
func (c *scaleChild) renders(ctx context.Context, n int, seed int64) ([]RenderTiming, error) {
	settings := web.Settings{Title: c.cfg.Title, BaseURL: c.cfg.BaseURL, Sources: c.cfg.Sources}
	if c.web == nil {
		h, err := web.New(web.Options{Store: c.db, Logger: c.log, NextRun: c.sched.Next}, settings)
		if err != nil {
			return nil, err
		}
		c.web = h
	}
	ids, err := sampleIDs(ctx, c.job.Store, n, seed)
	if err != nil {
		return nil, err
	}
	var out []RenderTiming
	for _, page := range renderPages {
		count := n
		if page == "/sources" {
			count = max(3, n/5) // tens of milliseconds each at 10,000 sources
		}
		var ms []float64
		size := 0
		for i := range count {
			path := page
			if page == renderPages[0] {
				path = fmt.Sprintf("/articles/%d", ids[i%len(ids)])
			}
			if err := c.web.Apply(settings); err != nil {
				return nil, err
			}
			w := httptest.NewRecorder()
			t0 := time.Now()
			c.web.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
			ms = append(ms, float64(time.Since(t0).Microseconds())/1000)
			if w.Code != http.StatusOK {
				return nil, fmt.Errorf("%s: status %d: %.200s", path, w.Code, w.Body.String())
			}
			size = w.Body.Len()
		}
		out = append(out, RenderTiming{Page: page, N: count, P50Ms: percentile(ms, 0.50), P99Ms: percentile(ms, 0.99), Bytes: size})
	}
	return out, nil
}

// sampleIDs draws n article ids uniformly from the id range of the store,
// each the first existing id at or after a random point.
func sampleIDs(ctx context.Context, path string, n int, seed int64) ([]int64, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	var lo, hi int64
	if err := db.QueryRowContext(ctx, `SELECT min(id), max(id) FROM articles`).Scan(&lo, &hi); err != nil {
		return nil, fmt.Errorf("article ids: %w", err)
	}
	r := rand.New(rand.NewPCG(uint64(seed), 7))
	ids := make([]int64, 0, n)
	for range max(1, n) {
		var id int64
		err := db.QueryRowContext(ctx, `SELECT id FROM articles WHERE id >= ? ORDER BY id LIMIT 1`, lo+r.Int64N(hi-lo+1)).Scan(&id)
		if err != nil {
			return nil, fmt.Errorf("article ids: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// percentile is the q-quantile of v (nearest rank).
func percentile(v []float64, q float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	i := int(q*float64(len(s))+0.5) - 1
	return s[min(max(i, 0), len(s)-1)]
}
