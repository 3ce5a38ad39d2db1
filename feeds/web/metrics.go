package web

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the HTTP metrics. Labels are the route pattern of the
// routes table (never the raw path, which a client controls) and the
// status code, so their number is bounded.
//
// Each request's series are looked up once, by route and code, in a small
// copy-on-write table of the resolved children: the vectors' own lookup
// (hashing the label values, a read lock) is paid once per series, not per
// request.
type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	mu       sync.Mutex // serialises adding to series
	series   atomic.Pointer[map[seriesKey]*series]
}

// seriesKey names the series of one route label and status code.
type seriesKey struct {
	route string
	code  int
}

// series are the resolved children of the vectors for one seriesKey.
type series struct {
	requests prometheus.Counter
	duration prometheus.Observer
}

// Metric names, for admins' dashboards and the tests.
const (
	MetricRequests = "feedloom_http_requests_total"
	MetricDuration = "feedloom_http_request_duration_seconds"
)

// routeUnmatched labels requests no route matched (404 and 405 from the
// mux, and paths refused before routing).
const routeUnmatched = "unmatched"

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: MetricRequests,
			Help: "HTTP requests answered, by route pattern and status code.",
		}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    MetricDuration,
			Help:    "Time to answer an HTTP request, by route pattern.",
			Buckets: []float64{.0001, .0005, .001, .005, .01, .05, .1, .5, 1, 5},
		}, []string{"route"}),
	}
	m.series.Store(&map[seriesKey]*series{})
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.requests, m.duration} {
		if err := reg.Register(c); err != nil {
			var are prometheus.AlreadyRegisteredError
			if errors.As(err, &are) {
				return nil, fmt.Errorf("web: metrics already registered (one Handler per registry): %w", err)
			}
			return nil, fmt.Errorf("web: register metrics: %w", err)
		}
	}
	return m, nil
}

// observe records one answered request under its route label.
func (m *metrics) observe(route string, code int, d time.Duration) {
	s := (*m.series.Load())[seriesKey{route, code}]
	if s == nil {
		s = m.add(seriesKey{route, code})
	}
	s.requests.Inc()
	s.duration.Observe(d.Seconds())
}

// add resolves the series of k and publishes a table with them. Route
// labels and codes are bounded, so the table stays small and this is rare.
func (m *metrics) add(k seriesKey) *series {
	m.mu.Lock()
	defer m.mu.Unlock()
	old := *m.series.Load()
	if s := old[k]; s != nil {
		return s
	}
	s := &series{
		requests: m.requests.WithLabelValues(k.route, codeLabel(k.code)),
		duration: m.duration.WithLabelValues(k.route),
	}
	next := maps.Clone(old)
	next[k] = s
	m.series.Store(&next)
	return s
}

// routeLabel is the route label of a mux pattern: the path part of
// "GET /feeds/{file}", or "unmatched".
func routeLabel(pattern string) string {
	if pattern == "" {
		return routeUnmatched
	}
	if _, p, ok := strings.Cut(pattern, " "); ok {
		return p
	}
	return pattern
}

// codeLabel formats a status code without allocating for the usual ones.
func codeLabel(code int) string {
	switch code {
	case http.StatusOK:
		return "200"
	case http.StatusNotModified:
		return "304"
	case http.StatusNotFound:
		return "404"
	}
	return strconv.Itoa(code)
}

// statusWriter remembers the status code a handler sent, for the metrics.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
