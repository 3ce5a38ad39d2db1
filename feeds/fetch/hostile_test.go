package fetch_test

import (
	"compress/gzip"
	"context"
	"errors"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedloom/feedloom/feeds/fetch"
)

// zeros is a read-only 64 KB chunk the hostile origins stream.
var zeros = make([]byte, 64<<10)

// TestGzipBomb serves 1 GB of zeros gzipped (about 1 MB on the wire),
// generated on the fly, and checks the fetch fails as too large without
// allocating anything like the inflated size.
func TestGzipBomb(t *testing.T) {
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Header().Set("Content-Encoding", "gzip")
		zw, _ := gzip.NewWriterLevel(w, gzip.BestCompression)
		for n := 0; n < 1<<30; n += len(zeros) {
			if r.Context().Err() != nil {
				return
			}
			if _, err := zw.Write(zeros); err != nil {
				return
			}
		}
		_ = zw.Close()
	})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fe := fetchErr(t, fetch.New(fetch.Options{MaxBody: 10 << 20}), srv.URL)
	runtime.ReadMemStats(&after)
	if fe.Kind != fetch.KindTooLarge || !errors.Is(fe, fetch.ErrTooLarge) {
		t.Fatalf("got %q: %v, want too_large", fe.Kind, fe)
	}
	if !strings.Contains(fe.Error(), "larger than 10 MB") {
		t.Errorf("message %q should name the limit", fe.Error())
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 128<<20 {
		t.Errorf("allocated %d MB for a 10 MB limit", alloc>>20)
	}
}

func TestEndlessBody(t *testing.T) {
	tests := []struct {
		name          string
		contentLength string
	}{
		{"chunked", ""},
		{"declared huge", strconv.Itoa(1 << 40)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
				if tt.contentLength != "" {
					w.Header().Set("Content-Length", tt.contentLength)
				}
				for r.Context().Err() == nil {
					if _, err := w.Write(zeros); err != nil {
						return
					}
				}
			})
			fe := fetchErr(t, fetch.New(fetch.Options{MaxBody: 1 << 20}), srv.URL)
			if fe.Kind != fetch.KindTooLarge || fe.Status != 200 || !strings.Contains(fe.Error(), "larger than 1 MB") {
				t.Errorf("got %q %d: %v", fe.Kind, fe.Status, fe)
			}
		})
	}
}

// TestSlowloris: headers arrive, then one byte every 10 ms; the deadline
// covers the body, so the fetch fails as a timeout in bounded time.
func TestSlowloris(t *testing.T) {
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		w.WriteHeader(200)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			if _, err := w.Write([]byte("<")); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-tick.C:
			}
		}
	})
	start := time.Now()
	fe := fetchErr(t, fetch.New(fetch.Options{Timeout: 300 * time.Millisecond}), srv.URL)
	if fe.Kind != fetch.KindTimeout || !errors.Is(fe, context.DeadlineExceeded) {
		t.Errorf("got %q: %v, want timeout", fe.Kind, fe)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v with a 300ms timeout", d)
	}
}

// TestNeverAnswers: the server accepts the connection and never writes.
func TestNeverAnswers(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	done := make(chan struct{})
	wg.Go(func() {
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				_ = c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				<-done
				return
			}
			conns = append(conns, c)
		}
	})
	t.Cleanup(func() {
		_ = ln.Close()
		close(done)
		wg.Wait()
	})
	start := time.Now()
	fe := fetchErr(t, fetch.New(fetch.Options{Timeout: 300 * time.Millisecond}), "http://"+ln.Addr().String()+"/feed")
	if fe.Kind != fetch.KindTimeout {
		t.Errorf("got %q: %v, want timeout", fe.Kind, fe)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v with a 300ms timeout", d)
	}
}

// TestCorruptGzip: a body that claims gzip but is not fails cleanly.
func TestCorruptGzip(t *testing.T) {
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		_, _ = w.Write([]byte("this is not gzip at all"))
	})
	fe := fetchErr(t, fetch.New(fetch.Options{}), srv.URL)
	if fe.Kind != fetch.KindNetwork || !strings.Contains(fe.Error(), "gzip") {
		t.Errorf("got %q: %v", fe.Kind, fe)
	}
}
