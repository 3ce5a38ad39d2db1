package scheduler

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/feeds/normalize"
)

// ErrBusy is IngestPush's answer while a fetch of the same source runs:
// that fetch brings the same document.
var ErrBusy = errors.New("a fetch of the source is running")

// IngestPush stores a document a WebSub hub pushed for source, through the
// same parse, normalise, dedupe, tag, store and relate steps as a fetch.
// The source's fetch validators are kept: the next poll still asks the
// origin whether anything changed since the last fetch.
func (sc *Scheduler) IngestPush(ctx context.Context, name string, body []byte, contentType string) (res Result, err error) {
	res.Source = name
	set := sc.settings()
	src, ok := set.byName[name]
	if !ok {
		return res, fmt.Errorf("%w: %q", ErrUnknownSource, name)
	}
	if !sc.tryStart(name) {
		return res, ErrBusy
	}
	defer sc.finish(name)
	defer func() {
		if p := recover(); p != nil {
			sc.log.Error("push panicked", "source", name, "panic", p, "stack", string(debug.Stack()))
			err = fmt.Errorf("internal error: %v", p)
		}
	}()
	st, err := sc.store.SourceState(ctx, name)
	if errors.Is(err, feeds.ErrNotFound) || (err == nil && st.Name == "") {
		st, err = feeds.SourceState{Name: name, URL: src.URL}, nil
	}
	if err != nil {
		return res, fmt.Errorf("load state of %s: %w", name, err)
	}
	began, now := time.Now(), sc.now()
	feed, arts, tooOld, err := sc.parseItems(set, src, body, contentType, st.FetchURL(), now)
	if err != nil {
		return res, fmt.Errorf("parse pushed feed: %w", err)
	}
	st.ItemCount, st.Language, st.FeedTitle = len(feed.Items), feed.Language, normalize.Title(feed.Title)
	sc.storing.Add(1)
	ir, err := sc.store.Ingest(ctx, name, st, arts, now)
	if err == nil {
		if rerr := sc.relate(ctx, ir); rerr != nil {
			sc.log.Warn("related update failed", "source", name, "error", rerr)
		}
	}
	if sc.storing.Add(-1) == 0 {
		if err := sc.saveUnsaved(ctx); err != nil {
			sc.log.Warn("related update failed", "source", name, "error", err)
		}
	}
	if err != nil {
		return res, fmt.Errorf("store pushed articles: %w", err)
	}
	res.New, res.Updated, res.Duplicate, res.TooOld = ir.New, ir.Updated, ir.Duplicate, tooOld
	res.Duration = time.Since(began)
	sc.log.Info("push", "source", name, "new", res.New, "updated", res.Updated, "duplicate", res.Duplicate,
		"bytes", len(body), "duration", res.Duration.Round(time.Millisecond))
	return res, nil
}
