// Package web is feedloom's HTTP face: the curated Atom, RSS and JSON feeds,
// the HTML pages, the source health pages, OPML, /healthz and /metrics.
//
// Feed readers poll the published feeds thousands of times an hour, mostly
// with conditional GETs, so every published document goes through one
// response helper that renders it once, caches the bytes (identity and
// gzip), and answers later polls from memory, before any routing: an
// unchanged feed costs a lock-free lookup by its path, two atomic loads and
// an ETag comparison, no query, no render and no allocation.
// A cached document is valid while the store's Generation (StateGeneration
// for the source health documents) and the settings it was rendered with
// are unchanged.
//
// The package reads the store through the small Store interface (which
// *storage.DB satisfies) and writes documents with feeds/render.
package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/feeds/render"
	"github.com/prometheus/client_golang/prometheus"
)

// Store is what the web layer reads. It is declared here, small, so that
// web does not depend on storage; *storage.DB satisfies it.
type Store interface {
	// Ping reports whether the database answers (for /healthz).
	Ping(ctx context.Context) error
	// Generation changes whenever stored content (articles, tags, related
	// lists, sources) may have changed; a cached document is valid while it
	// is unchanged. It must be a cheap read.
	Generation() uint64
	// StateGeneration changes after every write, fetch state included; the
	// source health documents (/sources, /sources.json) key on it.
	StateGeneration() uint64
	// Article returns one article with its tags and sources, or ErrNotFound.
	Article(ctx context.Context, id int64) (feeds.Article, error)
	// MergedInto returns the article that took in a merged article's id,
	// or ErrNotFound.
	MergedInto(ctx context.Context, id int64) (int64, error)
	// Articles returns the articles a filter selects, newest first.
	Articles(ctx context.Context, f feeds.Filter) ([]feeds.Article, error)
	// PopularTags returns at most limit of the most used tags that keep
	// accepts and that articles of at least minSources sources carry.
	PopularTags(ctx context.Context, limit, minSources int, keep func(string) bool) ([]feeds.TagCount, error)
	// TagCount returns how many articles carry a tag (0: the tag does not exist).
	TagCount(ctx context.Context, tag string) (int, error)
	// Related returns one article's related posts, ordered.
	Related(ctx context.Context, id int64) ([]feeds.RelatedPost, error)
	// RelatedFor returns the related posts of many articles at once.
	RelatedFor(ctx context.Context, ids []int64) (map[int64][]feeds.RelatedPost, error)
	// SourceStates returns every source's fetch state, by name.
	SourceStates(ctx context.Context) ([]feeds.SourceState, error)
	// SourceLanguages returns the language each source's feed declares,
	// by source name (absent: none), for the pages' lang attributes.
	SourceLanguages(ctx context.Context) (map[string]string, error)
	// SourceFeedTitles returns the title each source's feed gives itself,
	// by source name; sources whose feed has none are absent.
	SourceFeedTitles(ctx context.Context) (map[string]string, error)
	// ArchiveStore reads the RFC 5005 archive pages (archive.go).
	ArchiveStore
}

// Settings is the part of the configuration a reload can change for the
// web layer. Apply swaps it atomically.
type Settings struct {
	Title   string
	BaseURL string // absolute; the public URL the site is reached at
	Outputs []feeds.Output
	Sources []feeds.Source
	// Hub is the absolute URL of the WebSub hub the feed documents
	// advertise (Link rel="hub", with rel="self"); "" advertises none.
	Hub string
}

// Options are the handler's fixed dependencies, set once at start-up.
type Options struct {
	Store  Store        // required
	Logger *slog.Logger // nil: discard
	// Registerer receives the HTTP metrics; nil: not registered.
	Registerer prometheus.Registerer
	// Gatherer is served at /metrics; nil: /metrics answers 404.
	Gatherer prometheus.Gatherer
	// Healthy reports the scheduler's state for /healthz; nil: always healthy.
	Healthy func() error
	// NextRun is when the scheduler will next try a source (its next cron
	// tick); /sources shows the later of it and the stored not-before time.
	// nil: the stored time only.
	NextRun func(source string) (time.Time, bool)
	// FeedMaxAge is the Cache-Control max-age of Atom, RSS, JSON Feed and
	// OPML documents (0: DefaultFeedMaxAge; negative: no-cache).
	FeedMaxAge time.Duration
	// PageMaxAge is the Cache-Control max-age of HTML pages and
	// /sources.json (0: DefaultPageMaxAge; negative: no-cache).
	PageMaxAge time.Duration
	// CacheEntries and CacheBytes bound the document cache (0: defaults).
	CacheEntries int
	CacheBytes   int64
	// WebSub answers POST /websub, feedloom's own WebSub hub (subscription
	// requests); nil: no hub route.
	WebSub http.Handler
	// WebSubCallback answers GET and POST CallbackPath{token}: the hubs
	// feedloom subscribed to verify and push there; nil: no such route.
	WebSubCallback http.Handler
}

// Defaults for Options.
const (
	DefaultFeedMaxAge   = 5 * time.Minute
	DefaultPageMaxAge   = time.Minute
	DefaultCacheEntries = 4096
	DefaultCacheBytes   = 64 << 20
	// DefaultLimit is the number of entries of a feed whose output sets no limit.
	DefaultLimit = 50
	// renderTimeout bounds one render's queries; it is detached from the
	// request that started it, because other requests may be waiting on it.
	renderTimeout = 30 * time.Second
)

// Handler serves feedloom's HTTP routes. It is safe for concurrent use, and
// Apply may be called while it serves.
type Handler struct {
	store   Store
	log     *slog.Logger
	healthy func() error
	nextRun func(string) (time.Time, bool)
	// unhealthy is set while /healthz fails, so the log says when the state
	// changes rather than once per probe.
	unhealthy atomic.Bool
	feedCC    []string // Cache-Control header values
	pageCC    []string
	mux       *http.ServeMux
	pages     *render.Pages
	settings  atomic.Pointer[state]
	cache     *cache
	flight    flight
	metrics   *metrics
	hv        headerValues
}

// state is one applied Settings with what is derived from it. Cached
// documents remember the *state they were rendered with; a new pointer
// (from Apply) invalidates them.
type state struct {
	Settings
	site    render.Site
	outputs map[string]feeds.Output // configured outputs and the built-in "all"
}

// allOutput is the name of the built-in output of every article.
const allOutput = "all"

// New builds the handler and registers its metrics. It fails when the
// settings are invalid or the metrics cannot be registered.
func New(o Options, s Settings) (*Handler, error) {
	if o.Store == nil {
		return nil, errors.New("web: no store")
	}
	st, err := newState(s)
	if err != nil {
		return nil, err
	}
	pages, err := render.NewPages()
	if err != nil {
		return nil, fmt.Errorf("web: pages: %w", err)
	}
	m, err := newMetrics(o.Registerer)
	if err != nil {
		return nil, err
	}
	h := &Handler{
		store:   o.Store,
		log:     o.Logger,
		healthy: o.Healthy,
		nextRun: o.NextRun,
		feedCC:  cacheControl(o.FeedMaxAge, DefaultFeedMaxAge),
		pageCC:  cacheControl(o.PageMaxAge, DefaultPageMaxAge),
		pages:   pages,
		cache:   newCache(orDefault(o.CacheEntries, DefaultCacheEntries), orDefault(o.CacheBytes, DefaultCacheBytes)),
		metrics: m,
		hv:      newHeaderValues(),
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	h.settings.Store(st)
	h.mux = h.routes(o.Gatherer, o.WebSub, o.WebSubCallback)
	return h, nil
}

// Apply swaps in new settings (a config reload). Requests in flight finish
// with the old ones; every cached document is invalidated. On invalid
// settings it keeps the running ones and returns the problem.
func (h *Handler) Apply(s Settings) error {
	st, err := newState(s)
	if err != nil {
		return err
	}
	h.settings.Store(st)
	return nil
}

// newState validates s and derives the site and the output table. It copies
// the slices so that a caller changing them later cannot race with serving.
func newState(s Settings) (*state, error) {
	s.Outputs = slices.Clone(s.Outputs)
	s.Sources = slices.Clone(s.Sources)
	u, err := url.Parse(s.BaseURL)
	if err != nil || !u.IsAbs() || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("web: base url %q is not an absolute http(s) URL", s.BaseURL)
	}
	if !strings.HasSuffix(s.BaseURL, "/") {
		s.BaseURL += "/"
	}
	st := &state{
		Settings: s,
		site:     render.Site{Title: s.Title, BaseURL: s.BaseURL, Hub: s.Hub, Sources: make(map[string]feeds.Source, len(s.Sources))},
		outputs:  make(map[string]feeds.Output, len(s.Outputs)+1),
	}
	for _, src := range s.Sources {
		st.site.Sources[src.Name] = src
	}
	st.outputs[allOutput] = feeds.Output{Name: allOutput, Title: s.Title, Description: "Every article, newest first"}
	for _, o := range s.Outputs {
		switch {
		case o.Name == allOutput:
			return nil, fmt.Errorf("web: output %q: the name is reserved for the built-in feed", o.Name)
		case !validName(o.Name):
			return nil, fmt.Errorf("web: output %q: invalid name", o.Name)
		}
		if _, dup := st.outputs[o.Name]; dup {
			return nil, fmt.Errorf("web: output %q: defined twice", o.Name)
		}
		st.outputs[o.Name] = o
	}
	return st, nil
}

// validName reports whether an output name can appear in a URL path segment
// as it is: non-empty, short, no slash, no dot (the extension separator),
// printable ASCII.
func validName(s string) bool {
	if s == "" || len(s) > maxNameBytes {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || c == '/' || c == '.' || c == '%' || c == '?' || c == '#' {
			return false
		}
	}
	return true
}

// cacheControl is the Cache-Control header value for a max-age option.
func cacheControl(d, def time.Duration) []string {
	if d == 0 {
		d = def
	}
	if d < 0 {
		return []string{"no-cache"}
	}
	return []string{fmt.Sprintf("public, max-age=%d", int64(d/time.Second))}
}

// orDefault is v, or def when v is zero.
func orDefault[T int | int64](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

// NewServer is an http.Server for h with the timeouts and header cap a
// public daemon needs: slow or stalled clients cannot hold a connection
// for long, and oversized request headers are refused with 431.
func NewServer(addr string, h http.Handler) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    MaxHeaderBytes,
	}
}

// MaxHeaderBytes caps the request header size of NewServer's servers.
const MaxHeaderBytes = 16 << 10
