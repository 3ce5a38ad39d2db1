package scheduler_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/feeds/fetch"
	"github.com/feedloom/feedloom/feeds/related"
	"github.com/feedloom/feedloom/scheduler"
)

func relatedIDs(t *testing.T, e *env, id int64) []int64 {
	t.Helper()
	rs, err := e.db.Related(t.Context(), id)
	if err != nil {
		t.Fatalf("Related(%d): %v", id, err)
	}
	var ids []int64
	for _, r := range rs {
		ids = append(ids, r.ArticleID)
	}
	return ids
}

func idByGUID(t *testing.T, e *env, guid string) int64 {
	t.Helper()
	for _, a := range e.articles() {
		if a.GUID == guid {
			return a.ID
		}
	}
	t.Fatalf("no article with guid %q", guid)
	return 0
}

// Lists exist for ingested articles, older lists take in a related
// newcomer, and retention takes expired articles out of every list.
// Items already older than max_age are not stored at all
// (TestExpiredItemsNotStored).
func TestRelatedKeptFresh(t *testing.T) {
	o := newOrigin(t)
	x := item{GUID: "x", Link: "https://a.example/x", Title: "Shelling resumes near Aleppo as talks stall",
		Published: base.Add(-6 * 24 * time.Hour), Categories: []string{"syria", "aleppo", "conflict"}}
	y := item{GUID: "y", Link: "https://a.example/y", Title: "Cup final goes to extra time in Lisbon",
		Published: base.Add(-2 * time.Hour), Categories: []string{"sport", "football"}}
	o.handle("/a", serveDoc(rss("a", x, y), ""))
	z := item{GUID: "z", Link: "https://b.example/z", Title: "Aid convoy reaches Aleppo after week of shelling",
		Published: base.Add(-time.Hour), Categories: []string{"syria", "aleppo", "aid"}}
	o.handle("/b", serveDoc(rss("b", z), ""))
	reg := prometheus.NewRegistry()
	e := newEnv(t, []feeds.Source{src("a", o.URL+"/a"), src("b", o.URL+"/b")},
		func(opt *scheduler.Options, s *scheduler.Settings, _ *fetch.Options) {
			opt.Metrics = scheduler.NewMetrics(reg)
			s.Retention = scheduler.Retention{MaxAge: 7 * 24 * time.Hour}
		})
	if err := e.s.BuildIndex(t.Context()); err != nil {
		t.Fatal(err)
	}
	if r := e.once(false, "a")["a"]; r.Err != nil || r.New != 2 {
		t.Fatalf("a: %+v", r)
	}
	xid, yid := idByGUID(t, e, "x"), idByGUID(t, e, "y")
	if got := relatedIDs(t, e, xid); len(got) != 0 {
		t.Errorf("x related before any related article = %v", got)
	}
	if r := e.once(false, "b")["b"]; r.Err != nil || r.New != 1 {
		t.Fatalf("b: %+v", r)
	}
	zid := idByGUID(t, e, "z")
	if got := relatedIDs(t, e, zid); !slices.Equal(got, []int64{xid}) {
		t.Errorf("related(z) = %v, want [x=%d]", got, xid)
	}
	if got := relatedIDs(t, e, xid); !slices.Equal(got, []int64{zid}) {
		t.Errorf("related(x) after the newcomer = %v, want [z=%d]", got, zid)
	}
	if got := relatedIDs(t, e, yid); len(got) != 0 {
		t.Errorf("related(y) = %v, want none", got)
	}

	e.clock.Advance(4 * 24 * time.Hour)
	n, err := e.s.Retain(t.Context()) // x is now 10 days old, max_age 7 days
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("Retain deleted %d, want 1", n)
	}
	if got := relatedIDs(t, e, zid); len(got) != 0 {
		t.Errorf("related(z) after x expired = %v, want none", got)
	}

	text := gather(t, reg)
	for _, name := range []string{
		`feedloom_fetches_total{outcome="200",source="a"} 1`,
		`feedloom_articles_total{result="new"} 3`,
		`feedloom_retention_deleted_total 1`,
		`feedloom_sources_failing 0`,
		`feedloom_fetch_duration_seconds_count 2`,
		`feedloom_related_update_duration_seconds_count`,
		`feedloom_fetched_bytes_total{source="b"}`,
		`feedloom_source_next_attempt_timestamp_seconds{source="a"}`,
	} {
		if !strings.Contains(text, name) {
			t.Errorf("metrics lack %s", name)
		}
	}
}

// A list left pending (as after a crash between Ingest and SaveRelated)
// is computed by BuildIndex.
func TestBuildIndexComputesPending(t *testing.T) {
	o := newOrigin(t)
	o.handle("/a", serveDoc(rss("a",
		item{GUID: "1", Link: "https://a.example/1", Title: "Drought cuts hydropower output across region", Categories: []string{"drought", "energy"}, Published: base.Add(-3 * time.Hour)},
		item{GUID: "2", Link: "https://a.example/2", Title: "Farmers ration water as drought deepens", Categories: []string{"drought", "farming"}, Published: base.Add(-2 * time.Hour)},
	), ""))
	e := newEnv(t, []feeds.Source{src("a", o.URL+"/a")}, func(opt *scheduler.Options, _ *scheduler.Settings, _ *fetch.Options) {
		opt.Related = nil // this process does not relate: lists stay pending
	})
	if r := e.once(false)["a"]; r.Err != nil || r.New != 2 {
		t.Fatalf("ingest: %+v", r)
	}
	pending, err := e.db.PendingRelated(t.Context())
	if err != nil || len(pending) != 2 {
		t.Fatalf("pending = %v, %v; want 2", pending, err)
	}
	opts := e.opts
	opts.Related = related.New(related.Options{Limit: 5, MinShared: 1, Window: 720 * time.Hour, MaxShare: 1})
	s2, err := scheduler.New(opts, e.set)
	if err != nil {
		t.Fatal(err)
	}
	if err := s2.BuildIndex(t.Context()); err != nil {
		t.Fatal(err)
	}
	if pending, err := e.db.PendingRelated(t.Context()); err != nil || len(pending) != 0 {
		t.Errorf("after BuildIndex pending = %v, %v", pending, err)
	}
	if got := relatedIDs(t, e, idByGUID(t, e, "1")); !slices.Equal(got, []int64{idByGUID(t, e, "2")}) {
		t.Errorf("related(1) = %v", got)
	}
}

func gather(t *testing.T, reg *prometheus.Registry) string {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			b.WriteString(mf.GetName())
			if len(m.GetLabel()) > 0 {
				b.WriteString("{")
				for i, l := range m.GetLabel() {
					if i > 0 {
						b.WriteString(",")
					}
					b.WriteString(l.GetName() + `="` + l.GetValue() + `"`)
				}
				b.WriteString("}")
			}
			switch {
			case m.Counter != nil:
				b.WriteString(" " + trimFloat(m.Counter.GetValue()))
			case m.Gauge != nil:
				b.WriteString(" " + trimFloat(m.Gauge.GetValue()))
			case m.Histogram != nil:
				b.WriteString("\n" + mf.GetName() + "_count " + trimFloat(float64(m.Histogram.GetSampleCount())))
			}
			b.WriteString("\n")
		}
	}
	return b.String()
}

func trimFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// An item older than retention.max_age is not stored: retention would
// delete it within the hour and the next 200 would store it again.
func TestExpiredItemsNotStored(t *testing.T) {
	o := newOrigin(t)
	old := item{GUID: "old", Link: "https://a.example/old", Title: "An old story from last year about the harbour",
		Published: base.Add(-400 * 24 * time.Hour)}
	fresh := item{GUID: "fresh", Link: "https://a.example/fresh", Title: "A fresh story from this morning about the harbour",
		Published: base.Add(-time.Hour)}
	o.handle("/a", serveDoc(rss("a", old, fresh), ""))
	e := newEnv(t, []feeds.Source{src("a", o.URL+"/a")},
		func(_ *scheduler.Options, s *scheduler.Settings, _ *fetch.Options) {
			s.Retention = scheduler.Retention{MaxAge: 90 * 24 * time.Hour}
		})
	if r := e.once(false, "a")["a"]; r.Err != nil || r.New != 1 || r.TooOld != 1 {
		t.Fatalf("a: %+v, want 1 new (the fresh item only) and 1 too old", r)
	}
	idByGUID(t, e, "fresh")
}
