// Package fetch performs one conditional GET of a feed, politely and
// defensively: validators from the last fetch so an unchanged feed costs a
// 304, one deadline for the whole request including the body, a body cap
// that also holds after gzip decompression, at most a few redirects (a
// permanent chain is reported so the caller can remember the new URL), only
// http(s), no redirects from public feeds into private address space, and
// Retry-After / Cache-Control hints for the scheduler. file:// URLs (feeds
// an admin generates locally) are read with the same cap.
//
// It knows nothing of parsing or storage: bytes in, bytes out, and a typed
// *Error whose Kind tells the caller how to react.
package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Defaults used by New for zero Options fields; they match config.yaml's.
const (
	DefaultTimeout      = 30 * time.Second
	DefaultMaxBody      = 10 << 20
	DefaultUserAgent    = "feedloom"
	DefaultMaxRedirects = 5
)

// Accept names the feed media types first, so content-negotiating servers
// send a feed rather than an HTML page.
const Accept = "application/atom+xml, application/rss+xml, application/feed+json, " +
	"application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.8"

// maxHint caps Retry-After and max-age: a server's hint must not park a
// source for months.
const maxHint = 7 * 24 * time.Hour

// Options configure a Fetcher; zero fields get the Default* values.
type Options struct {
	Timeout               time.Duration // whole request, body included
	MaxBody               int64         // bytes after decompression
	UserAgent             string
	MaxRedirects          int
	AllowPrivateRedirects bool // let public sources redirect to private addresses (intranets)
	// Transport, when set, replaces the Fetcher's own keep-alive transports
	// (tests, proxies); redirects to private IP literals are still refused,
	// but the dial-time check of resolved addresses is the own transport's.
	Transport http.RoundTripper
}

// Fetcher fetches feeds. It is safe for concurrent use and shares one
// http.Client (and its keep-alive connections) between all requests.
type Fetcher struct {
	opts      Options
	client    *http.Client
	isPrivate func(net.IP) bool
}

// Options returns the Fetcher's options with defaults filled in, so that
// callers wiring it from a config can check what it will do.
func (f *Fetcher) Options() Options { return f.opts }

// Request is one fetch: the URL and the validators of the last 200.
type Request struct {
	URL          string
	ETag         string
	LastModified string
}

// Response is a successful fetch (2xx or 304).
type Response struct {
	Status       int
	NotModified  bool   // 304: Body is nil, nothing to parse
	Body         []byte // decompressed; nil on 304
	ContentType  string
	ETag         string // validators to send next time (the request's when a 304 omits them)
	LastModified string
	FinalURL     string        // after redirects
	PermanentURL string        // FinalURL when every redirect was 301/308 (and there was one), else ""
	MaxAge       time.Duration // Cache-Control max-age, 0 when absent
	Bytes        int64         // body bytes as received on the wire (compressed size)
	Links        []string      // the Link header values (WebSub discovery reads them)
}

// Release hands the body's buffer back for reuse by a later fetch. Call it
// once the body is parsed, when nothing refers to its bytes any more; the
// Body is nil afterwards. Not calling it is fine: the buffer is collected.
func (r *Response) Release() {
	recycle(r.Body)
	r.Body = nil
}

// New returns a Fetcher with o's zero fields defaulted.
func New(o Options) *Fetcher {
	return newFetcher(o, isPrivate)
}

func newFetcher(o Options, private func(net.IP) bool) *Fetcher {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxBody <= 0 {
		o.MaxBody = DefaultMaxBody
	}
	if o.UserAgent == "" {
		o.UserAgent = DefaultUserAgent
	}
	if o.MaxRedirects <= 0 {
		o.MaxRedirects = DefaultMaxRedirects
	}
	f := &Fetcher{opts: o, isPrivate: private}
	rt := o.Transport
	if rt == nil {
		rt = &switchTransport{
			allowPrivate: o.AllowPrivateRedirects,
			open:         newTransport(o.Timeout, nil),
			guarded:      newTransport(o.Timeout, f.dialControl),
		}
	}
	f.client = &http.Client{Transport: rt, CheckRedirect: f.checkRedirect}
	return f
}

func newTransport(timeout time.Duration, control func(context.Context, string, string, syscall.RawConn) error) *http.Transport {
	d := &net.Dialer{Timeout: min(timeout, 30*time.Second), KeepAlive: 30 * time.Second, ControlContext: control}
	return &http.Transport{
		Proxy:                  nil, // a proxy would defeat the dial-time address guard
		DialContext:            d.DialContext,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           256,
		MaxIdleConnsPerHost:    4,
		IdleConnTimeout:        90 * time.Second,
		TLSHandshakeTimeout:    min(timeout, 10*time.Second),
		ResponseHeaderTimeout:  timeout,
		ExpectContinueTimeout:  time.Second,
		DisableCompression:     true, // gzip is requested and decoded here, under the body cap
		MaxResponseHeaderBytes: 256 << 10,
	}
}

// errTimeout is the cause of the Fetcher's own deadline, told apart from
// the caller's cancellation.
var errTimeout = errors.New("timed out")

// Fetch performs r. It returns a *Response for 2xx and 304, else an *Error.
func (f *Fetcher) Fetch(ctx context.Context, r Request) (*Response, error) {
	u, err := url.Parse(strings.TrimSpace(r.URL))
	if err != nil {
		return nil, &Error{Kind: KindScheme, URL: r.URL, Err: fmt.Errorf("not a valid URL: %w", err)}
	}
	switch u.Scheme {
	case "http", "https":
		if u.Host == "" {
			return nil, &Error{Kind: KindScheme, URL: r.URL, Err: errors.New("URL has no host")}
		}
	case "file":
		return f.fetchFile(ctx, u, r)
	default:
		return nil, &Error{Kind: KindScheme, URL: r.URL, Err: fmt.Errorf("unsupported URL scheme %q: only http, https and file", u.Scheme)}
	}
	ctx, cancel := context.WithTimeoutCause(ctx, f.opts.Timeout, errTimeout)
	defer cancel()
	h := &hop{}
	ctx = context.WithValue(ctx, hopKey{}, h)
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GotConn: func(info httptrace.GotConnInfo) { h.sawOrigin(info.Conn.RemoteAddr(), f.isPrivate) },
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, &Error{Kind: KindScheme, URL: r.URL, Err: fmt.Errorf("build request: %w", err)}
	}
	req.Header.Set("User-Agent", f.opts.UserAgent)
	req.Header.Set("Accept", Accept)
	req.Header.Set("Accept-Encoding", "gzip")
	if r.ETag != "" {
		req.Header.Set("If-None-Match", r.ETag)
	}
	if r.LastModified != "" {
		req.Header.Set("If-Modified-Since", r.LastModified)
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, f.classify(ctx, r.URL, err)
	}
	defer func() { _ = resp.Body.Close() }()
	final := resp.Request.URL.String()
	out := &Response{
		Status:       resp.StatusCode,
		ContentType:  resp.Header.Get("Content-Type"),
		ETag:         resp.Header.Get("ETag"),
		LastModified: resp.Header.Get("Last-Modified"),
		FinalURL:     final,
		MaxAge:       maxAge(resp.Header.Values("Cache-Control")),
		Links:        resp.Header.Values("Link"),
	}
	h.mu.Lock()
	if h.redirects > 0 && h.permanent {
		out.PermanentURL = final
	}
	h.mu.Unlock()
	switch code := resp.StatusCode; {
	case code == http.StatusNotModified:
		out.NotModified = true
		if out.ETag == "" {
			out.ETag = r.ETag
		}
		if out.LastModified == "" {
			out.LastModified = r.LastModified
		}
		return out, nil
	case code == http.StatusGone:
		drain(resp.Body)
		return nil, &Error{Kind: KindGone, Status: code, URL: final, Err: ErrGone}
	case code < 200 || code > 299:
		drain(resp.Body)
		e := &Error{Kind: KindStatus, Status: code, URL: final}
		msg := "HTTP " + resp.Status
		if !strings.HasPrefix(resp.Status, strconv.Itoa(code)) {
			msg = fmt.Sprintf("HTTP %d %s", code, http.StatusText(code))
		}
		if code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable {
			e.RetryAfter = retryAfter(resp.Header.Get("Retry-After"), time.Now())
			if e.RetryAfter > 0 {
				msg += fmt.Sprintf(" (retry after %s)", e.RetryAfter)
			}
		}
		e.Err = errors.New(msg)
		return nil, e
	}
	if resp.ContentLength > f.opts.MaxBody {
		return nil, &Error{Kind: KindTooLarge, Status: resp.StatusCode, URL: final, Err: tooLarge(f.opts.MaxBody)}
	}
	body, n, err := readBody(resp.Body, resp.Header.Get("Content-Encoding"), f.opts.MaxBody, resp.ContentLength)
	out.Bytes = n
	if err != nil {
		var fe *Error
		if errors.As(err, &fe) {
			fe.Status, fe.URL = resp.StatusCode, final
			return nil, fe
		}
		e := f.classify(ctx, final, err)
		e.Status = resp.StatusCode
		return nil, e
	}
	out.Body = body
	return out, nil
}

// classify turns a transport or body error into an *Error.
func (f *Fetcher) classify(ctx context.Context, rawURL string, err error) *Error {
	var fe *Error
	if errors.As(err, &fe) { // from CheckRedirect
		return fe
	}
	var db *dialBlocked
	if errors.As(err, &db) {
		return blocked(redirectURL(err, rawURL), db.addr)
	}
	if context.Cause(ctx) == errTimeout {
		return &Error{Kind: KindTimeout, URL: rawURL,
			Err: fmt.Errorf("no complete answer within %s: %w", f.opts.Timeout, context.DeadlineExceeded)}
	}
	if ctx.Err() != nil { // the caller's cancellation or deadline
		return &Error{Kind: KindNetwork, URL: rawURL, Err: fmt.Errorf("fetch canceled: %w", context.Cause(ctx))}
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return &Error{Kind: KindTimeout, URL: ue.URL, Err: fmt.Errorf("no complete answer within %s: %w", f.opts.Timeout, ue.Err)}
		}
		return &Error{Kind: KindNetwork, URL: ue.URL, Err: ue.Err}
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return &Error{Kind: KindTimeout, URL: rawURL, Err: err}
	}
	return &Error{Kind: KindNetwork, URL: rawURL, Err: err}
}

// redirectURL is the URL a *url.Error names (the hop that failed), else def.
func redirectURL(err error, def string) string {
	var ue *url.Error
	if errors.As(err, &ue) && ue.URL != "" {
		return ue.URL
	}
	return def
}

// drain reads a little of an error body so the connection can be reused.
func drain(r io.Reader) {
	_, _ = io.CopyN(io.Discard, r, 8<<10)
}

// retryAfter parses Retry-After as seconds or an HTTP date, capped at maxHint.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		if secs > int64(maxHint/time.Second) {
			return maxHint
		}
		d = time.Duration(secs) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now).Round(time.Second)
	}
	return min(max(d, 0), maxHint)
}

// maxAge reads max-age from Cache-Control header values (0 when absent or
// when no-cache / no-store say not to rely on it).
func maxAge(values []string) time.Duration {
	var age time.Duration
	for _, v := range values {
		for part := range strings.SplitSeq(v, ",") {
			k, val, _ := strings.Cut(strings.TrimSpace(part), "=")
			switch strings.ToLower(k) {
			case "no-cache", "no-store":
				return 0
			case "max-age":
				if n, err := strconv.ParseInt(strings.Trim(val, `"`), 10, 64); err == nil && n > 0 {
					age = min(time.Duration(min(n, int64(maxHint/time.Second)))*time.Second, maxHint)
				}
			}
		}
	}
	return age
}
