package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// doc is one rendered, published document as the cache keeps it: both
// representations (identity and gzip) and every header value, prepared once
// so that serving it allocates next to nothing. Header values are []string
// with len == cap, assigned directly into the response's header map; net/http
// only reads them, and an append by anyone else copies.
type doc struct {
	key      string // the URL path it answers
	route    string // the route label of its metrics
	stateGen bool   // valid for a StateGeneration rather than a Generation
	gen      uint64 // store generation read before the render's first query
	st       *state // settings it was rendered with
	used     atomic.Int64

	body, gz        []byte // gz is nil when compression does not pay
	sum             string // hex hash of body
	modified        time.Time
	html            bool
	ctype, cc       []string
	etag, etagGz    []string
	clen, clenGz    []string
	lastMod         []string
	link            []string // WebSub hub and self links of a feed document; nil for others
	etagVal, gzEtag string
}

// size is what the document costs the cache.
func (d *doc) size() int64 { return int64(len(d.body) + len(d.gz) + len(d.key) + 512) }

// Header values every response shares.
const (
	// csp allows no script at all: the pages need none, so an injection
	// that slipped past sanitising and escaping still cannot run.
	csp = "default-src 'none'; img-src https: http: data:; style-src 'unsafe-inline'; " +
		"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
	referrerPolicy = "strict-origin-when-cross-origin"
	textPlain      = "text/plain; charset=utf-8"
	textHTML       = "text/html; charset=utf-8"

	// CORS on published documents (feeds, OPML, /sources.json) lets
	// browser-based readers subscribe. They are public, so any origin may
	// read them, which is also why no Vary: Origin is needed. ETag is
	// exposed, and the validators allowed in a preflight, so that such a
	// reader can poll conditionally like any other.
	corsExpose  = "ETag"
	corsMethods = "GET, HEAD, OPTIONS"
	corsHeaders = "If-None-Match, If-Modified-Since"
	corsMaxAge  = "86400"
)

// headerValues are the shared header values as the header map holds them,
// built once per Handler (not package state) and only ever read.
type headerValues struct {
	nosniff, vary, gzip, csp, referrer, noStore, text, html, frame []string
	anyOrigin, expose, methods, allowHeaders, maxAge               []string
	immutable                                                      []string // Cache-Control of full archive pages
}

func newHeaderValues() headerValues {
	return headerValues{
		nosniff:  []string{"nosniff"},
		vary:     []string{"Accept-Encoding"},
		gzip:     []string{"gzip"},
		csp:      []string{csp},
		referrer: []string{referrerPolicy},
		noStore:  []string{"no-store"},
		text:     []string{textPlain},
		html:     []string{textHTML},
		frame:    []string{"DENY"},

		anyOrigin:    []string{"*"},
		expose:       []string{corsExpose},
		methods:      []string{corsMethods},
		allowHeaders: []string{corsHeaders},
		maxAge:       []string{corsMaxAge},
		immutable:    []string{immutableCC},
	}
}

// minGzip is the size under which a document is not compressed: the gzip
// header and trailer would eat the gain.
const minGzip = 256

// newDoc finishes a rendered body: its hash and ETags, its gzip variant and
// its header values. prev is the cached document for the same key, if any,
// from an earlier generation: when the bytes are unchanged the gzip variant
// and Last-Modified are kept, so a re-render of unchanged content answers
// exactly as before.
func newDoc(key string, body []byte, ctype string, cc []string, html bool, modified time.Time, prev *doc, now time.Time) *doc {
	sum := sha256.Sum256(body)
	d := &doc{
		key:   key,
		body:  body,
		sum:   hex.EncodeToString(sum[:16]),
		html:  html,
		ctype: []string{ctype},
		cc:    cc,
	}
	now = now.UTC().Truncate(time.Second)
	modified = modified.UTC().Truncate(time.Second)
	if modified.IsZero() || modified.After(now) {
		modified = now
	}
	switch {
	case prev != nil && prev.sum == d.sum:
		d.gz = prev.gz
		modified = prev.modified
	case prev != nil && !modified.After(prev.modified):
		// The content changed but its newest entry did not (an entry left
		// the feed, or one was edited): Last-Modified must still move on,
		// or If-Modified-Since clients would keep the old document.
		modified = now
		d.gz = compress(body)
	default:
		d.gz = compress(body)
	}
	d.modified = modified
	d.etagVal = `"` + d.sum + `"`
	d.gzEtag = `"` + d.sum + `-gz"`
	d.etag = []string{d.etagVal}
	d.etagGz = []string{d.gzEtag}
	d.clen = []string{strconv.Itoa(len(d.body))}
	d.clenGz = []string{strconv.Itoa(len(d.gz))}
	d.lastMod = []string{modified.Format(http.TimeFormat)}
	return d
}

// compress gzips body, or returns nil when that does not make it smaller.
func compress(body []byte) []byte {
	if len(body) < minGzip {
		return nil
	}
	var buf bytes.Buffer
	buf.Grow(len(body) / 3)
	zw, err := gzip.NewWriterLevel(&buf, gzip.DefaultCompression)
	if err != nil {
		return nil
	}
	if _, err := zw.Write(body); err != nil {
		return nil
	}
	if err := zw.Close(); err != nil {
		return nil
	}
	if buf.Len() >= len(body) {
		return nil
	}
	return buf.Bytes()
}

// write sends d and returns the status sent: 304 when the request's
// validators match, else 200 with the representation the client accepts
// (gzip or identity), without a body for HEAD. Every header value is one
// of d's or hv's prepared slices, assigned into the map: nothing is
// formatted or allocated per request.
//
// A 304 carries what RFC 9110 (15.4.5) asks of it — ETag, Cache-Control,
// Vary — and no Last-Modified, which it says not to send beside an ETag
// (net/http's ServeContent does the same); the client keeps the one it has.
func (hv *headerValues) write(w http.ResponseWriter, r *http.Request, d *doc) int {
	h := w.Header()
	etag, etagHdr, body, clen := d.etagVal, d.etag, d.body, d.clen
	gz := d.gz != nil && acceptsGzip(r.Header["Accept-Encoding"])
	if gz {
		etag, etagHdr, body, clen = d.gzEtag, d.etagGz, d.gz, d.clenGz
	}
	h["Etag"] = etagHdr
	h["Cache-Control"] = d.cc
	h["Vary"] = hv.vary
	if d.link != nil {
		h["Link"] = d.link
	}
	if d.html {
		h["Content-Security-Policy"] = hv.csp
		h["Referrer-Policy"] = hv.referrer
		h["X-Frame-Options"] = hv.frame
	} else {
		hv.cors(h) // on the 304 too: a browser drops a 304 it may not read
	}
	if notModified(r, etag, d.lastMod[0], d.modified) {
		w.WriteHeader(http.StatusNotModified)
		return http.StatusNotModified
	}
	h["Last-Modified"] = d.lastMod
	h["Content-Type"] = d.ctype
	h["Content-Length"] = clen
	if gz {
		h["Content-Encoding"] = hv.gzip
	}
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body) // a failed write means the client left; nothing to do
	}
	return http.StatusOK
}

// cors marks a response as readable from any origin (every document but
// the HTML pages).
func (hv *headerValues) cors(h http.Header) {
	h["Access-Control-Allow-Origin"] = hv.anyOrigin
	h["Access-Control-Expose-Headers"] = hv.expose
}

// writePreflight answers an OPTIONS request: 204 with Allow, and for a
// document that carries CORS the preflight headers a browser asks for
// before a conditional GET (If-None-Match is not a "simple" header). An
// OPTIONS for an HTML page gets Allow only, so a browser's preflight fails
// there as its GET would.
func (hv *headerValues) writePreflight(w http.ResponseWriter, withCORS bool) {
	h := w.Header()
	h["Allow"] = hv.methods
	if withCORS {
		hv.cors(h)
		h["Access-Control-Allow-Methods"] = hv.methods
		h["Access-Control-Allow-Headers"] = hv.allowHeaders
		h["Access-Control-Max-Age"] = hv.maxAge
	}
	w.WriteHeader(http.StatusNoContent)
}

// notModified applies RFC 9110's conditional GET: If-None-Match (weak
// comparison, lists, "*") decides when present; else If-Modified-Since.
// Pollers mostly send back exactly the ETag or Last-Modified they were
// given, which is checked first, before any parsing.
func notModified(r *http.Request, etag, lastMod string, modified time.Time) bool {
	if inm, ok := r.Header["If-None-Match"]; ok {
		for _, v := range inm {
			if v == etag || etagListMatch(v, etag) {
				return true
			}
		}
		return false
	}
	v := r.Header["If-Modified-Since"]
	if len(v) == 0 || v[0] == "" {
		return false
	}
	ims := v[0]
	if ims == lastMod {
		return true
	}
	t, err := http.ParseTime(ims)
	if err != nil {
		return false
	}
	return !modified.After(t)
}

// etagListMatch reports whether a comma-separated If-None-Match value lists
// etag, comparing weakly (a W/ prefix is ignored), or is "*".
func etagListMatch(list, etag string) bool {
	for list != "" {
		var item string
		item, list, _ = strings.Cut(list, ",")
		item = strings.TrimSpace(item)
		if item == "*" {
			return true
		}
		item = strings.TrimPrefix(item, "W/")
		if item == etag {
			return true
		}
	}
	return false
}

// acceptsGzip reports whether Accept-Encoding allows gzip: "gzip",
// "x-gzip" or "*" listed with a non-zero q-value.
func acceptsGzip(values []string) bool {
	for _, v := range values {
		for v != "" {
			var item string
			item, v, _ = strings.Cut(v, ",")
			coding, params, _ := strings.Cut(item, ";")
			coding = strings.TrimSpace(coding)
			if !strings.EqualFold(coding, "gzip") && !strings.EqualFold(coding, "x-gzip") && coding != "*" {
				continue
			}
			if !zeroQ(params) {
				return true
			}
		}
	}
	return false
}

// zeroQ reports whether parameters say q=0 (the coding is refused).
func zeroQ(params string) bool {
	for params != "" {
		var p string
		p, params, _ = strings.Cut(params, ";")
		name, val, ok := strings.Cut(strings.TrimSpace(p), "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(name), "q") {
			continue
		}
		q, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
		return err == nil && q == 0
	}
	return false
}

// writeText answers with a short plain-text message and no caching: the
// body of 404s on feed routes, 400s and 5xx.
func (hv *headerValues) writeText(w http.ResponseWriter, r *http.Request, code int, msg string) {
	h := w.Header()
	h["Content-Type"] = hv.text
	h["Cache-Control"] = hv.noStore
	h["Content-Length"] = []string{strconv.Itoa(len(msg) + 1)}
	w.WriteHeader(code)
	if r.Method != http.MethodHead {
		_, _ = w.Write([]byte(msg + "\n"))
	}
}

// writeHTMLError answers with an HTML error page and no caching.
func (hv *headerValues) writeHTMLError(w http.ResponseWriter, r *http.Request, code int, body []byte) {
	h := w.Header()
	h["Content-Type"] = hv.html
	h["Cache-Control"] = hv.noStore
	h["Content-Security-Policy"] = hv.csp
	h["Referrer-Policy"] = hv.referrer
	h["X-Frame-Options"] = hv.frame
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(code)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}
