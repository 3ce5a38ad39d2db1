package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// origin serves a corpus over loopback, spread over several 127.0.0.x
// addresses (one listener each) so that fetch.per_host does not decide the
// result: a feed's host is its address. Every document has a strong ETag
// and a Last-Modified, and conditional requests get 304.
type origin struct {
	mu      sync.RWMutex // guards docs: the scale part swaps documents between passes
	docs    map[string]*feedDoc
	servers []*http.Server
	done    sync.WaitGroup
	bases   []string // "http://127.0.0.x:port"
	Hosts   int      // distinct addresses actually bound
	// Counters, so a run can check that a warm pass really was all 304.
	ok, notModified, other atomic.Int64
}

// originHosts is how many loopback addresses the origin tries to use.
const originHosts = 8

// startOrigin binds 127.0.0.1 … 127.0.0.8 (Linux routes all of 127/8 to lo;
// elsewhere only 127.0.0.1 may work, and the origin then uses just the
// addresses that could be bound) and serves c.
func startOrigin(c *Corpus) (*origin, error) {
	o := &origin{docs: make(map[string]*feedDoc, len(c.Feeds))}
	for _, d := range c.Feeds {
		o.docs[d.Path] = d
	}
	for i := 1; i <= originHosts; i++ {
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.%d:0", i))
		if err != nil {
			if i == 1 {
				return nil, fmt.Errorf("origin: %w", err)
			}
			continue
		}
		srv := &http.Server{Handler: o, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: time.Minute}
		o.servers = append(o.servers, srv)
		o.bases = append(o.bases, "http://"+ln.Addr().String())
		o.done.Go(func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				panic(fmt.Sprintf("origin: %v", err)) // a listener that dies mid-run would make every figure wrong
			}
		})
	}
	o.Hosts = len(o.bases)
	return o, nil
}

// URLs are the corpus's feed URLs, feed i on address i mod Hosts.
func (o *origin) URLs(c *Corpus) []string {
	urls := make([]string, len(c.Feeds))
	for i, d := range c.Feeds {
		urls[i] = o.bases[i%len(o.bases)] + d.Path
	}
	return urls
}

// ServeHTTP answers GET and HEAD of a feed document.
func (o *origin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	o.mu.RLock()
	d := o.docs[r.URL.Path]
	o.mu.RUnlock()
	if d == nil || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		o.other.Add(1)
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h["Etag"] = []string{d.ETag}
	h["Last-Modified"] = []string{d.LastModified}
	if notModified(r, d) {
		o.notModified.Add(1)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	o.ok.Add(1)
	h["Content-Type"] = []string{d.ContentType}
	h["Content-Length"] = []string{fmt.Sprint(len(d.Body))}
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(d.Body) // the client went away: nothing to do
}

// notModified applies RFC 9110's order: If-None-Match when present, else
// If-Modified-Since.
func notModified(r *http.Request, d *feedDoc) bool {
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		for _, t := range strings.Split(inm, ",") {
			t = strings.TrimSpace(t)
			if t == "*" || strings.TrimPrefix(t, "W/") == d.ETag {
				return true
			}
		}
		return false
	}
	if ims := r.Header.Get("If-Modified-Since"); ims != "" {
		t, err := http.ParseTime(ims)
		lm, _ := http.ParseTime(d.LastModified)
		return err == nil && !lm.After(t)
	}
	return false
}

// serve publishes c's documents in place of those at the same paths (a
// feed's new version), keeping the others.
func (o *origin) serve(c *Corpus) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, d := range c.Feeds {
		o.docs[d.Path] = d
	}
}

// resetCounts zeroes the counters before a measured pass.
func (o *origin) resetCounts() {
	o.ok.Store(0)
	o.notModified.Store(0)
	o.other.Store(0)
}

// Close stops every listener.
func (o *origin) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, s := range o.servers {
		_ = s.Shutdown(ctx) // best effort: the process is about to move on or exit
	}
	o.done.Wait()
}
