package web

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/feedloom/feedloom/feeds/render"
)

// routes is the routes table: every URL feedloom answers, in one place.
// GET patterns answer HEAD too; other methods get 405 with Allow from the
// mux. The catch-all "GET /" gives unknown paths the HTML 404 page.
// (ServeHTTP answers documents these routes rendered and cached before it
// consults the table; see cached.)
func (h *Handler) routes(g prometheus.Gatherer, hub, callback http.Handler) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", h.index)
	mux.HandleFunc("GET /feeds/{file}", h.feed)
	mux.HandleFunc("GET /tags/{tag}", h.tag)
	mux.HandleFunc("GET /articles/{id}", h.article)
	mux.HandleFunc("GET /sources", h.sourcesPage)
	mux.HandleFunc("GET /sources.json", h.sourcesJSON)
	mux.HandleFunc("GET /opml", h.opml)
	mux.HandleFunc("GET /healthz", h.healthz)
	if hub != nil {
		mux.Handle("POST "+HubPath, hub)
	}
	if callback != nil {
		mux.Handle("GET "+CallbackPath+"{token}", callback)
		mux.Handle("POST "+CallbackPath+"{token}", callback)
	}
	// Preflights of the documents browser-based readers fetch (see cors).
	for _, p := range []string{"/feeds/{file}", "/tags/{tag}", "/sources.json", "/opml"} {
		mux.HandleFunc("OPTIONS "+p, h.preflight)
	}
	h.archiveRoutes(mux)
	if g != nil {
		mux.Handle("GET /metrics", promhttp.HandlerFor(g, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}))
	} else {
		mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
			h.hv.writeText(w, r, http.StatusNotFound, "metrics are not enabled")
		})
	}
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		h.notFound(w, r, true, "There is no page at this address.")
	})
	return mux
}

// ServeHTTP answers a GET or HEAD of a published document that is cached
// and valid straight from the cache, before any routing: that is what feed
// readers' polls are, and the cache is keyed by the very path the routes
// table would have taken to render the document. Everything else is
// refused with 400 when its path is not in clean form (dot segments,
// double slashes), or routed. Both record the HTTP metrics.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	w.Header()["X-Content-Type-Options"] = h.hv.nosniff // every answer, /metrics and the mux's own included
	if d := h.cached(r); d != nil {
		code := h.hv.write(w, r, d)
		h.metrics.observe(d.route, code, time.Since(start))
		return
	}
	sw := &statusWriter{ResponseWriter: w}
	if !cleanPath(r.URL.Path) {
		h.hv.writeText(sw, r, http.StatusBadRequest, "bad request path")
	} else {
		h.mux.ServeHTTP(sw, r)
	}
	if sw.code == 0 {
		sw.code = http.StatusOK
	}
	h.metrics.observe(routeLabel(r.Pattern), sw.code, time.Since(start))
}

// cached returns the valid cached document that routing r would answer
// with, or nil. Only GET and HEAD read documents. A path that was not sent
// in its default escaping (RawPath set) is left to the mux, which routes on
// the escaped form; any other path equal to a cached key routes to the
// handler that rendered it, with the same parameters, as the keys are the
// documents' canonical paths. The settings and generation checks are the
// ones serve makes.
func (h *Handler) cached(r *http.Request) *doc {
	if (r.Method != http.MethodGet && r.Method != http.MethodHead) || r.URL.RawPath != "" {
		return nil
	}
	d := h.cache.get(r.URL.Path)
	if d == nil || !h.valid(d) {
		return nil
	}
	return d
}

// cleanPath reports whether p is an absolute path without "." or ".."
// segments or empty segments (a trailing slash is allowed): what
// path.Clean leaves unchanged, checked without building its result. The mux
// would redirect other paths; feedloom publishes no URL like that, so they
// are refused instead.
func cleanPath(p string) bool {
	if p == "" || p[0] != '/' {
		return false
	}
	rest := p[1:]
	for {
		seg, tail, more := strings.Cut(rest, "/")
		if seg == "." || seg == ".." || (seg == "" && more) {
			return false
		}
		if !more {
			return true
		}
		rest = tail
	}
}

// Limits on names in request paths. Anything longer cannot exist.
const (
	maxNameBytes = 200
	maxTagBytes  = 200
)

// validTag reports whether s can be a tag: valid UTF-8 without controls or
// slashes, not too long. Stored tags are normalised, so this is a quick
// refusal of hostile paths (answered 400) before any query.
func validTag(s string) bool {
	if s == "" || len(s) > maxTagBytes || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == '/' || (r >= 0x80 && r < 0xa0) {
			return false
		}
	}
	return true
}

// splitFeedFile splits "NAME.atom" into NAME and its format.
func splitFeedFile(file string) (string, render.Format, bool) {
	i := strings.LastIndexByte(file, '.')
	if i <= 0 {
		return "", render.Format{}, false
	}
	f, ok := render.FormatOf(file[i+1:])
	return file[:i], f, ok
}

// feed serves /feeds/{output}.atom|.rss|.json.
func (h *Handler) feed(w http.ResponseWriter, r *http.Request) {
	st := h.settings.Load()
	key, ctype, build, ok := h.outputFeed(st, r.PathValue("file"))
	if !ok {
		h.notFound(w, r, false, "no such feed")
		return
	}
	h.serve(w, r, st, key, false, ctype, build)
}

// outputFeed resolves the file name of an output's feed ("NAME.atom") to
// its cache key, content type and builder; false when there is no such feed.
func (h *Handler) outputFeed(st *state, file string) (string, string, builder, bool) {
	name, f, ok := splitFeedFile(file)
	if !ok {
		return "", "", nil, false
	}
	out, ok := st.outputs[name]
	if !ok {
		return "", "", nil, false
	}
	return "/feeds/" + name + "." + f.Ext, f.ContentType, func(ctx context.Context, b *bytes.Buffer) (time.Time, error) {
		return h.renderOutput(ctx, b, st, out, f)
	}, true
}

// tag serves /tags/{tag} (HTML) and /tags/{tag}.atom|.rss|.json. A known
// extension always means the feed.
func (h *Handler) tag(w http.ResponseWriter, r *http.Request) {
	st := h.settings.Load()
	raw := r.PathValue("tag")
	tag, _, isFeed := splitFeedFile(raw)
	if !isFeed {
		tag = raw
	}
	if !validTag(tag) {
		h.badRequest(w, r, !isFeed, "invalid tag name")
		return
	}
	if isFeed {
		key, ctype, build, _ := h.tagFeed(st, raw)
		h.serve(w, r, st, key, false, ctype, build)
		return
	}
	h.serve(w, r, st, "/tags/"+tag, true, textHTML, func(ctx context.Context, b *bytes.Buffer) (time.Time, error) {
		return h.renderTagPage(ctx, b, st, tag)
	})
}

// tagFeed resolves the file name of a tag's feed ("syria.atom") to its
// cache key, content type and builder; false when it cannot name one. The
// builder reports ErrNotFound for a tag no article carries.
func (h *Handler) tagFeed(st *state, file string) (string, string, builder, bool) {
	tag, f, ok := splitFeedFile(file)
	if !ok || !validTag(tag) {
		return "", "", nil, false
	}
	return "/tags/" + tag + "." + f.Ext, f.ContentType, func(ctx context.Context, b *bytes.Buffer) (time.Time, error) {
		return h.renderTagFeed(ctx, b, st, tag, f)
	}, true
}

// article serves /articles/{id}; the id must be a positive int64 in its
// canonical decimal form (so each article has one URL and one cache entry).
func (h *Handler) article(w http.ResponseWriter, r *http.Request) {
	st := h.settings.Load()
	s := r.PathValue("id")
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 || strconv.FormatInt(id, 10) != s {
		h.notFound(w, r, true, "There is no such article.")
		return
	}
	h.serve(w, r, st, "/articles/"+s, true, textHTML, func(ctx context.Context, b *bytes.Buffer) (time.Time, error) {
		return h.renderArticle(ctx, b, st, id)
	})
}

// index serves the HTML home page.
func (h *Handler) index(w http.ResponseWriter, r *http.Request) {
	st := h.settings.Load()
	h.serve(w, r, st, "/", true, textHTML, func(ctx context.Context, b *bytes.Buffer) (time.Time, error) {
		return h.renderIndex(ctx, b, st)
	})
}

// sourcesPage serves /sources, the source health page.
func (h *Handler) sourcesPage(w http.ResponseWriter, r *http.Request) {
	st := h.settings.Load()
	h.serve(w, r, st, keySourcesPage, true, textHTML, func(ctx context.Context, b *bytes.Buffer) (time.Time, error) {
		return h.renderSourcesPage(ctx, b, st)
	})
}

// sourcesJSON serves /sources.json, the source health for scripts.
func (h *Handler) sourcesJSON(w http.ResponseWriter, r *http.Request) {
	st := h.settings.Load()
	h.serve(w, r, st, keySourcesJSON, false, contentTypeJSON, func(ctx context.Context, b *bytes.Buffer) (time.Time, error) {
		return h.renderSourcesJSON(ctx, b, st)
	})
}

// opml serves the configured sources as OPML 2.0.
func (h *Handler) opml(w http.ResponseWriter, r *http.Request) {
	st := h.settings.Load()
	h.serve(w, r, st, "/opml", false, contentTypeOPML, func(_ context.Context, b *bytes.Buffer) (time.Time, error) {
		return h.renderOPML(b, st)
	})
}

// preflight answers OPTIONS on the document routes. Every path of
// /feeds/, /sources.json and /opml may be a document with CORS (whether a
// feed exists is the GET's answer, not the preflight's); under /tags/ only
// the feed files are, not the HTML pages.
func (h *Handler) preflight(w http.ResponseWriter, r *http.Request) {
	withCORS := true
	if tag := r.PathValue("tag"); tag != "" {
		_, _, withCORS = splitFeedFile(tag)
	}
	h.hv.writePreflight(w, withCORS)
}

// healthz answers 200 "ok" while the database answers and the scheduler
// is healthy, else 503 with the reason. Never cached.
func (h *Handler) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), healthTimeout)
	defer cancel()
	part, err := "database", h.store.Ping(ctx)
	if err == nil && h.healthy != nil {
		part, err = "scheduler", h.healthy()
	}
	if err != nil {
		if !h.unhealthy.Swap(true) {
			h.log.Warn("unhealthy", "part", part, "error", err)
		}
		h.hv.writeText(w, r, http.StatusServiceUnavailable, part+": "+oneLine(err.Error()))
		return
	}
	if h.unhealthy.Swap(false) {
		h.log.Info("healthy again")
	}
	h.hv.writeText(w, r, http.StatusOK, "ok")
}

// healthTimeout bounds the database ping of /healthz.
const healthTimeout = 2 * time.Second

// oneLine keeps an error message on one line of a text answer.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ToValidUTF8(s, "?")), " ")
}
