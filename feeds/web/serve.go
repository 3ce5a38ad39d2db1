package web

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/feedloom/feedloom/feeds"
)

// builder renders one document into b and returns its modification time
// (zero when it has none; the render time is used then).
type builder func(ctx context.Context, b *bytes.Buffer) (time.Time, error)

// serve is the one response helper every published document goes through.
// key is the document's URL path in canonical form, the one a request for
// it routes from (ServeHTTP answers later requests for that path straight
// from the cache). A cached document still valid for the store's
// generation and the settings is written at once; otherwise one of the
// concurrent requests renders it (the others wait), it is cached, and
// written.
func (h *Handler) serve(w http.ResponseWriter, r *http.Request, st *state, key string, page bool, ctype string, build builder) {
	d, err := h.lookup(r.Context(), st, key, page, ctype, routeLabel(r.Pattern), build)
	if err != nil {
		h.fail(w, r, page, err)
		return
	}
	h.hv.write(w, r, d)
}

// lookup returns the document under key: the cached one while it is valid,
// else a fresh render (shared with concurrent lookups of the same key),
// which it caches. ctx ending stops the wait, not a render others share.
func (h *Handler) lookup(ctx context.Context, st *state, key string, page bool, ctype, route string, build builder) (*doc, error) {
	if d := h.cache.get(key); d != nil && d.st == st && d.gen == h.generation(d.stateGen) {
		return d, nil
	}
	cc := h.feedCC
	if page || ctype == contentTypeJSON {
		cc = h.pageCC
	}
	stateGen := followsState(key)
	return h.flight.do(ctx.Done(), key, func() (*doc, error) {
		// Read the generation before the first query: a write while this
		// render runs makes the result stale at once, never wrongly fresh.
		gen := h.generation(stateGen)
		sgen := h.store.StateGeneration() // in case the builder marks the document as showing fetch state
		prev := h.cache.get(key)
		if prev != nil && prev.st == st && prev.gen == h.generation(prev.stateGen) {
			return prev, nil // rendered by a flight that just ended
		}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), renderTimeout)
		defer cancel()
		shows, immutable := new(bool), new(bool)
		ctx = context.WithValue(context.WithValue(ctx, showsStateKey{}, shows), immutableKey{}, immutable)
		var b bytes.Buffer
		modified, err := build(ctx, &b)
		if err != nil {
			return nil, err
		}
		docStateGen := stateGen
		if *shows && !stateGen {
			docStateGen, gen = true, sgen
		}
		docCC := cc
		if *immutable {
			docCC = h.hv.immutable
		}
		d := newDoc(key, b.Bytes(), ctype, docCC, page, modified, prev, time.Now())
		d.gen, d.st, d.stateGen, d.route = gen, st, docStateGen, route
		d.link = st.links(key, page)
		h.cache.put(d, h.valid)
		return d, nil
	})
}

// valid reports whether a cached document still shows the current data
// and settings.
func (h *Handler) valid(d *doc) bool {
	return d.st == h.settings.Load() && d.gen == h.generation(d.stateGen)
}

// Keys of the source health documents.
const (
	keySourcesPage = "/sources"
	keySourcesJSON = "/sources.json"
)

// followsState reports whether the document under key shows fetch state
// (last fetch, status, errors): the source health documents, which every
// fetch changes. Every other document follows the content Generation, so
// that a 304 from some source does not throw away the rendered feeds.
func followsState(key string) bool {
	return key == keySourcesPage || key == keySourcesJSON
}

// showsStateKey is the context key of the flag a builder sets with
// markShowsState.
type showsStateKey struct{}

// markShowsState tells serve that the document being built shows fetch
// state after all (the index says every fetch failed when it has no
// articles), so that it follows the StateGeneration like /sources.
func markShowsState(ctx context.Context) {
	if p, ok := ctx.Value(showsStateKey{}).(*bool); ok {
		*p = true
	}
}

// generation is the store generation a document is valid for: the
// StateGeneration for those that follow fetch state, else the Generation.
func (h *Handler) generation(stateGen bool) uint64 {
	if stateGen {
		return h.store.StateGeneration()
	}
	return h.store.Generation()
}

// errCanceled is what a request waiting on another's render gets when it
// ends first (the client left).
var errCanceled = errors.New("request canceled")

// fail maps a render error to its answer: the one error→status function.
// Not found is 404, gone (an archive page retention emptied) 410; a client that left or a render that timed out is 503;
// anything else is 500 and logged at error.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, page bool, err error) {
	var moved movedError
	var gone goneError
	switch {
	case errors.As(err, &moved):
		http.Redirect(w, r, moved.to, http.StatusMovedPermanently)
	case errors.As(err, &gone):
		h.errorPage(w, r, page, http.StatusGone, gone.msg)
	case errors.Is(err, feeds.ErrNotFound):
		h.notFound(w, r, page, notFoundMessage(err))
	case errors.Is(err, errCanceled) || errors.Is(err, context.Canceled):
		h.hv.writeText(w, r, http.StatusServiceUnavailable, "request canceled")
	case errors.Is(err, context.DeadlineExceeded):
		h.log.Error("render timed out", "path", r.URL.Path, "error", err)
		h.hv.writeText(w, r, http.StatusServiceUnavailable, "the server is busy; try again later")
	default:
		h.log.Error("render failed", "path", r.URL.Path, "error", err)
		h.hv.writeText(w, r, http.StatusInternalServerError, "internal server error")
	}
}

// movedError sends the client to the path of the document that took this
// one's place (an article merged into another): 301, never cached here.
type movedError struct{ to string }

func (e movedError) Error() string { return "moved to " + e.to }

// notFoundError carries the short message a 404 shows.
type notFoundError struct{ msg string }

func (e notFoundError) Error() string { return e.msg }

// Is makes errors.Is(err, feeds.ErrNotFound) hold.
func (e notFoundError) Is(target error) bool { return target == feeds.ErrNotFound }

// notFoundMessage is the message a 404 shows for err.
func notFoundMessage(err error) string {
	var nf notFoundError
	if errors.As(err, &nf) {
		return nf.msg
	}
	return "Not found."
}

// notFound answers 404: an HTML page on HTML routes, text on feed routes.
func (h *Handler) notFound(w http.ResponseWriter, r *http.Request, page bool, msg string) {
	h.errorPage(w, r, page, http.StatusNotFound, msg)
}

// badRequest answers 400 for a request path that cannot name anything.
func (h *Handler) badRequest(w http.ResponseWriter, r *http.Request, page bool, msg string) {
	h.errorPage(w, r, page, http.StatusBadRequest, msg)
}

// errorPage answers code with msg, as an HTML page or as text.
func (h *Handler) errorPage(w http.ResponseWriter, r *http.Request, page bool, code int, msg string) {
	if !page {
		h.hv.writeText(w, r, code, msg)
		return
	}
	var b bytes.Buffer
	if err := h.renderError(&b, h.settings.Load(), code, msg); err != nil {
		h.log.Error("render error page", "error", err)
		h.hv.writeText(w, r, code, msg)
		return
	}
	h.hv.writeHTMLError(w, r, code, b.Bytes())
}
