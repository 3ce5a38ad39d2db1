package scheduler

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the scheduler's Prometheus series, registered on the
// daemon's own registry. A nil *Metrics is valid and records nothing, so
// `feedloom fetch` and tests need no registry.
type Metrics struct {
	fetches       *prometheus.CounterVec
	fetchDuration prometheus.Histogram
	bytes         *prometheus.CounterVec
	articles      *prometheus.CounterVec
	failing       prometheus.Gauge
	failures      *prometheus.GaugeVec
	nextAttempt   *prometheus.GaugeVec
	relate        prometheus.Histogram
	retention     prometheus.Counter
}

// NewMetrics creates the scheduler's series and registers them on reg
// (nil: not registered, still usable). It panics if they are registered
// twice on the same registry, as prometheus.MustRegister does.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		fetches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "feedloom_fetches_total",
			Help: `Fetch attempts by source and outcome: the HTTP status ("200", "304") or the error kind (timeout, too_large, status, gone, network, redirect, scheme, blocked, parse, store, canceled).`,
		}, []string{"source", "outcome"}),
		fetchDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "feedloom_fetch_duration_seconds",
			Help:    "Time of one source's fetch, parse and store.",
			Buckets: []float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}),
		bytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "feedloom_fetched_bytes_total",
			Help: "Body bytes received, by source.",
		}, []string{"source"}),
		articles: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "feedloom_articles_total",
			Help: "Fetched items by what they did to the store: new, updated, duplicate, or too_old (older than retention.max_age, not stored).",
		}, []string{"result"}),
		failing: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "feedloom_sources_failing",
			Help: "Sources whose last attempt failed (including gone ones).",
		}),
		failures: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "feedloom_source_consecutive_failures",
			Help: "Consecutive failed attempts of a source; 0 when healthy.",
		}, []string{"source"}),
		nextAttempt: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "feedloom_source_next_attempt_timestamp_seconds",
			Help: "Unix time before which a source is not fetched (backoff, Retry-After, feed hints).",
		}, []string{"source"}),
		relate: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "feedloom_related_update_duration_seconds",
			Help:    "Time to update the related index and save the changed lists after an ingest or retention.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 5},
		}),
		retention: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "feedloom_retention_deleted_total",
			Help: "Articles deleted by retention.",
		}),
	}
	for _, r := range []string{"new", "updated", "duplicate", "too_old"} {
		m.articles.WithLabelValues(r)
	}
	if reg != nil {
		reg.MustRegister(m.fetches, m.fetchDuration, m.bytes, m.articles, m.failing,
			m.failures, m.nextAttempt, m.relate, m.retention)
	}
	return m
}

func (m *Metrics) fetched(r Result, outcome string) {
	if m == nil {
		return
	}
	m.fetches.WithLabelValues(r.Source, outcome).Inc()
	m.fetchDuration.Observe(r.Duration.Seconds())
	m.bytes.WithLabelValues(r.Source).Add(float64(r.Bytes))
	m.articles.WithLabelValues("new").Add(float64(r.New))
	m.articles.WithLabelValues("updated").Add(float64(r.Updated))
	m.articles.WithLabelValues("duplicate").Add(float64(r.Duplicate))
	m.articles.WithLabelValues("too_old").Add(float64(r.TooOld))
}

func (m *Metrics) setFailing(n int) {
	if m == nil {
		return
	}
	m.failing.Set(float64(n))
}

func (m *Metrics) backoff(source string, failures int, next time.Time) {
	if m == nil {
		return
	}
	m.failures.WithLabelValues(source).Set(float64(failures))
	if next.IsZero() {
		m.nextAttempt.WithLabelValues(source).Set(0)
	} else {
		m.nextAttempt.WithLabelValues(source).Set(float64(next.UnixMilli()) / 1000)
	}
}

func (m *Metrics) relateTook(d time.Duration) {
	if m == nil {
		return
	}
	m.relate.Observe(d.Seconds())
}

func (m *Metrics) retained(n int) {
	if m == nil {
		return
	}
	m.retention.Add(float64(n))
}

// forget drops the series of a source that is no longer configured.
func (m *Metrics) forget(source string) {
	if m == nil {
		return
	}
	l := prometheus.Labels{"source": source}
	m.fetches.DeletePartialMatch(l)
	m.bytes.DeletePartialMatch(l)
	m.failures.DeletePartialMatch(l)
	m.nextAttempt.DeletePartialMatch(l)
}
