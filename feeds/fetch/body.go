package fetch

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// countingReader counts the bytes read through it (the wire size).
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// readBody reads a response body, decoding the Content-Encoding, and fails
// with a "too_large" *Error as soon as more than max decoded bytes arrive:
// a gzip bomb never allocates more than max. It also returns the number of
// bytes read from r. size is the body's length as announced (-1: unknown).
func readBody(r io.Reader, encoding string, max, size int64) ([]byte, int64, error) {
	cr := &countingReader{r: r}
	var src io.Reader = cr
	switch enc := strings.ToLower(strings.TrimSpace(encoding)); enc {
	case "", "identity":
		raw, err := readAtMost(src, max, size)
		if err != nil {
			return nil, cr.n, err
		}
		// A feed stored gzipped and served without Content-Encoding
		// (feed.xml.gz): decode it under the same cap.
		body, err := maybeGunzip(raw, max)
		return body, cr.n, err
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(src)
		if err != nil {
			return nil, cr.n, fmt.Errorf("decompress gzip body: %w", err)
		}
		body, err := readAtMost(zr, max, -1)
		if err != nil {
			return nil, cr.n, wrapDecode("gzip", err)
		}
		return body, cr.n, nil
	case "deflate":
		zr, err := zlib.NewReader(src)
		if err != nil {
			return nil, cr.n, fmt.Errorf("decompress deflate body: %w", err)
		}
		body, err := readAtMost(zr, max, -1)
		if err != nil {
			return nil, cr.n, wrapDecode("deflate", err)
		}
		return body, cr.n, nil
	default:
		return nil, cr.n, fmt.Errorf("unsupported Content-Encoding %q (only gzip was requested)", encoding)
	}
}

// wrapDecode keeps *Error (too large) and context errors as they are and
// says which decoder failed otherwise.
func wrapDecode(name string, err error) error {
	var fe *Error
	if errors.As(err, &fe) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return err
	}
	return fmt.Errorf("decompress %s body: %w", name, err)
}

// Bodies are read into pooled buffers, or buffers of the announced size:
// a busy pass reads hundreds of documents a second, and growing a fresh
// slice for each (io.ReadAll doubles its way up) would be a large share of
// everything it allocates. Response.Release hands a body back
// once it is parsed. (In a busy pass the collector runs every few dozen
// milliseconds and empties the pool, so the announced size is what saves
// most there; the pool serves a daemon's quieter hours.)
var bodyPool = sync.Pool{New: func() any { b := make([]byte, 0, 32<<10); return &b }}

// maxPooled is the largest buffer kept for reuse; a rare huge document's
// buffer is left to the collector rather than held.
const maxPooled = 2 << 20

// recycle returns b's array to the pool; b must not be used afterwards.
func recycle(b []byte) {
	if cap(b) == 0 || cap(b) > maxPooled {
		return
	}
	b = b[:0]
	bodyPool.Put(&b)
}

// readAtMost reads r to the end into a pooled buffer, failing once it has
// more than max bytes. A size hint (the Content-Length; -1 when unknown)
// that the pooled buffer cannot hold gets a buffer of its own, one byte
// longer so that the read meeting the end does not grow it.
func readAtMost(r io.Reader, max, size int64) ([]byte, error) {
	b := (*bodyPool.Get().(*[]byte))[:0]
	if size >= 0 && size < max && int64(cap(b)) <= size {
		recycle(b)
		b = make([]byte, 0, size+1)
	}
	lr := io.LimitedReader{R: r, N: max + 1}
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)] // grow as append does
		}
		n, err := lr.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			recycle(b)
			return nil, err
		}
	}
	if int64(len(b)) > max {
		recycle(b)
		return nil, &Error{Kind: KindTooLarge, Err: tooLarge(max)}
	}
	return b, nil
}

// maybeGunzip decodes b when it is a gzip stream, else returns it as is.
func maybeGunzip(b []byte, max int64) ([]byte, error) {
	if len(b) < 3 || b[0] != 0x1f || b[1] != 0x8b || b[2] != 8 {
		return b, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("decompress gzip body: %w", err)
	}
	out, err := readAtMost(zr, max, -1)
	if err != nil {
		return nil, wrapDecode("gzip", err)
	}
	recycle(b)
	return out, nil
}

// fetchFile reads a file:// URL with the same size cap. The file's size and
// modification time are its validators, so an unchanged file is a
// NotModified response like an HTTP 304.
func (f *Fetcher) fetchFile(ctx context.Context, u *url.URL, r Request) (*Response, error) {
	if u.Host != "" && u.Host != "localhost" {
		return nil, &Error{Kind: KindScheme, URL: r.URL, Err: fmt.Errorf("file URL names host %q: only local files can be read", u.Host)}
	}
	if u.Path == "" {
		return nil, &Error{Kind: KindScheme, URL: r.URL, Err: errors.New("file URL has no path")}
	}
	if err := ctx.Err(); err != nil {
		return nil, &Error{Kind: KindNetwork, URL: r.URL, Err: fmt.Errorf("fetch canceled: %w", err)}
	}
	fh, err := os.Open(filepath.FromSlash(u.Path))
	if err != nil {
		return nil, &Error{Kind: KindNetwork, URL: r.URL, Err: err}
	}
	defer func() { _ = fh.Close() }()
	st, err := fh.Stat()
	if err != nil {
		return nil, &Error{Kind: KindNetwork, URL: r.URL, Err: err}
	}
	if !st.Mode().IsRegular() {
		return nil, &Error{Kind: KindNetwork, URL: r.URL, Err: fmt.Errorf("%s is not a regular file", u.Path)}
	}
	out := &Response{
		Status:       http.StatusOK,
		ContentType:  mime.TypeByExtension(filepath.Ext(u.Path)),
		ETag:         `"` + strconv.FormatInt(st.Size(), 36) + "-" + strconv.FormatInt(st.ModTime().UnixNano(), 36) + `"`,
		LastModified: st.ModTime().UTC().Format(http.TimeFormat),
		FinalURL:     u.String(),
	}
	if (r.ETag != "" && r.ETag == out.ETag) || (r.ETag == "" && r.LastModified != "" && r.LastModified == out.LastModified) {
		out.Status, out.NotModified = http.StatusNotModified, true
		return out, nil
	}
	if st.Size() > f.opts.MaxBody {
		return nil, &Error{Kind: KindTooLarge, URL: r.URL, Err: tooLarge(f.opts.MaxBody)}
	}
	raw, err := readAtMost(fh, f.opts.MaxBody, st.Size())
	if err == nil {
		out.Bytes = int64(len(raw))
		out.Body, err = maybeGunzip(raw, f.opts.MaxBody)
	}
	if err != nil {
		var fe *Error
		if errors.As(err, &fe) {
			fe.URL = r.URL
			return nil, fe
		}
		return nil, &Error{Kind: KindNetwork, URL: r.URL, Err: err}
	}
	return out, nil
}
