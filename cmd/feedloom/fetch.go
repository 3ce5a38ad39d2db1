package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/feedloom/feedloom/feeds/config"
	"github.com/feedloom/feedloom/scheduler"
	"github.com/feedloom/feedloom/storage"
)

func runFetch(ctx context.Context, e *env, c *command, args []string) int {
	fs, cfgPath := c.flags(e)
	force := fs.Bool("force", false, "fetch sources that are backing off, waiting for Retry-After, or gone")
	quiet := fs.Bool("q", false, "quiet: no progress output and no warning log lines, only the summary table (and errors)")
	if ok, st := c.parse(e, fs, args); !ok {
		return st
	}
	names := fs.Args()
	return withStore(ctx, e, c, *cfgPath, true, func(cfg *config.Config, db *storage.DB) int {
		for _, n := range names {
			if _, ok := cfg.Source(n); !ok {
				return usageError(e, c, "no source named %q in %s", n, *cfgPath)
			}
		}
		level := "warn"
		if *quiet { // -q: the table and the exit status say what failed
			level = "error"
		}
		log := newLogger(e.stderr, cfg.LogFormat, level)
		p, err := newPipeline(cfg, db, log, nil, "", nil)
		if err != nil {
			return fail(e, c, err)
		}
		if err := p.sched.BuildIndex(ctx); err != nil {
			return fail(e, c, fmt.Errorf("build related index: %w", err))
		}
		prog := newProgress(e.stderr, *quiet)
		results, err := p.sched.RunOnce(ctx, names, *force, prog.update)
		prog.done()
		if err != nil {
			return fail(e, c, err)
		}
		failed := printFetchSummary(e.stdout, results)
		if failed > 0 {
			fmt.Fprintf(e.stderr, "feedloom fetch: %d source(s) failed\n", failed)
			return exitFailure
		}
		return exitOK
	})
}

// printFetchSummary writes the table of SPEC.md and returns how many
// sources failed.
func printFetchSummary(w io.Writer, results []scheduler.Result) int {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE\tSTATUS\tNEW\tUPDATED\tDUPLICATE\tERROR")
	failed, fresh, skipped := 0, 0, 0
	for _, r := range results {
		status := "-"
		if r.Status != 0 {
			status = strconv.Itoa(r.Status)
		}
		msg := ""
		switch {
		case r.Skipped && r.Failing():
			// Not retried yet is not fixed: it fails the run until it succeeds.
			failed++
			status = "failing"
			if r.Status != 0 {
				status += " (" + strconv.Itoa(r.Status) + ")"
			}
			msg = r.LastError
			if msg == "" && r.Err != nil {
				msg = r.Err.Error()
			}
			if r.Reason == scheduler.ReasonGone {
				msg += "; gone: not retried until its config changes (use -force)"
			} else {
				msg += "; backing off, next try " + r.Until.UTC().Format(time.RFC3339) + " (use -force)"
			}
		case r.Skipped:
			skipped++
			status = "skipped"
			msg = "not due until " + r.Until.UTC().Format(time.RFC3339) + " (use -force)"
			if r.Err != nil {
				msg = r.Err.Error() + "; " + msg
			}
		case r.Err != nil:
			failed++
			msg = r.Err.Error()
		case r.TooOld > 0:
			msg = fmt.Sprintf("%d items older than retention.max_age not stored", r.TooOld)
		}
		fresh += r.New
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%s\n", r.Source, status, r.New, r.Updated, r.Duplicate, msg)
	}
	_ = tw.Flush()
	fmt.Fprintf(w, "%d sources: %d new articles, %d failed, %d skipped\n", len(results), fresh, failed, skipped)
	return failed
}

// progress shows a line that updates in place on a terminal, and plain
// lines (one per source) otherwise.
type progress struct {
	w        io.Writer
	terminal bool
	quiet    bool
	shown    bool
}

func newProgress(w io.Writer, quiet bool) *progress {
	p := &progress{w: w, quiet: quiet}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.terminal = true
		}
	}
	return p
}

func (p *progress) update(pr scheduler.Progress) {
	if p.quiet {
		return
	}
	if p.terminal {
		fmt.Fprintf(p.w, "\r\033[Kfetching %d/%d  new %d  errors %d  (%s)", pr.Done, pr.Total, pr.New, pr.Errors, pr.Last.Source)
		p.shown = true
		return
	}
	r := pr.Last
	state := "ok"
	switch {
	case r.Skipped && r.Failing():
		state = "failing, not retried yet: " + r.LastError
	case r.Skipped:
		state = "skipped"
	case r.Err != nil:
		state = "error: " + r.Err.Error()
	}
	fmt.Fprintf(p.w, "[%d/%d] %s: status %d, new %d, updated %d, duplicate %d, %s\n",
		pr.Done, pr.Total, r.Source, r.Status, r.New, r.Updated, r.Duplicate, state)
}

func (p *progress) done() {
	if p.terminal && p.shown {
		fmt.Fprint(p.w, "\r\033[K")
	}
}
