package web

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/feeds/render"
)

// RFC 5005 archived feeds. Every output, "all" and every tag feed has an
// archive: pages of ArchivePageSize articles at
//
//	/feeds/{output}/archive/{n}.atom|.rss|.json
//	/tags/{tag}/archive/{n}.atom|.rss|.json
//
// n counting from 1, the oldest page. Membership is by article id, the
// store's insertion sequence (see storage's Archive): a page that filled is
// sealed, and its URL and set of entries stay as they are from then on;
// new articles only ever go to the newest page, the open one, which the
// current document links as prev-archive. Retention (and dedupe, folding
// a later copy into the earlier article) can only take articles out of a
// page: a sealed page that lost some still answers with the rest, and
// pages older than the oldest article left answer 410. A known gap: an
// old article that starts matching a filtered feed after its page was
// sealed (a second source adds a tag) joins that page, which then holds
// more than ArchivePageSize and is no longer sent as immutable.
//
// Archive entries carry no related posts: those change as new articles
// arrive, and a full page's bytes must not.

// ArchivePageSize is the number of articles of a full archive page. The
// page bounds already sealed keep the size they were sealed with.
const ArchivePageSize = 50

// ArchiveStore is what archived feeds read (*storage.DB satisfies it).
type ArchiveStore interface {
	// Archive seals a feed's pages that filled (size articles each) and
	// returns its shape; path is the feed's document path.
	Archive(ctx context.Context, path string, f feeds.Filter, size int) (feeds.ArchiveIndex, error)
	// ArchivePage is Archive and the articles of page n, newest first.
	ArchivePage(ctx context.Context, path string, f feeds.Filter, size, n int) (feeds.ArchiveIndex, []feeds.Article, error)
}

// immutableCC is the Cache-Control of a full archive page: its bytes
// never change, so caches need never ask again.
const immutableCC = "public, max-age=31536000, immutable"

// archiveRoutes adds the archive pages to the routes table, with their
// CORS preflights (they are feed documents).
func (h *Handler) archiveRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /feeds/{output}/archive/{file}", h.outputArchive)
	mux.HandleFunc("GET /tags/{tag}/archive/{file}", h.tagArchive)
	for _, p := range []string{"/feeds/{output}/archive/{file}", "/tags/{tag}/archive/{file}"} {
		mux.HandleFunc("OPTIONS "+p, func(w http.ResponseWriter, _ *http.Request) { h.hv.writePreflight(w, true) })
	}
}

// archiveFeed is the feed an archive page belongs to.
type archiveFeed struct {
	path, page, title, description string
	filter                         feeds.Filter
}

// outputArchive serves /feeds/{output}/archive/{n}.{ext}.
func (h *Handler) outputArchive(w http.ResponseWriter, r *http.Request) {
	st := h.settings.Load()
	out, ok := st.outputs[r.PathValue("output")]
	if !ok {
		h.notFound(w, r, false, "no such feed")
		return
	}
	h.archive(w, r, st, outputArchiveFeed(out))
}

// tagArchive serves /tags/{tag}/archive/{n}.{ext}. A tag no article ever
// carried has no pages (404).
func (h *Handler) tagArchive(w http.ResponseWriter, r *http.Request) {
	st := h.settings.Load()
	tag := r.PathValue("tag")
	if !validTag(tag) {
		h.badRequest(w, r, false, "invalid tag name")
		return
	}
	h.archive(w, r, st, tagArchiveFeed(st, tag))
}

// archive serves page {file} of feed af.
func (h *Handler) archive(w http.ResponseWriter, r *http.Request, st *state, af archiveFeed) {
	num, f, ok := splitFeedFile(r.PathValue("file"))
	if !ok {
		h.notFound(w, r, false, "no such feed format")
		return
	}
	n, ok := pageNumber(num)
	if !ok {
		h.badRequest(w, r, false, "archive page number must be a positive integer without leading zeros")
		return
	}
	key := "/" + archivePath(af.path, n) + "." + f.Ext
	h.serve(w, r, st, key, false, f.ContentType, func(ctx context.Context, b *bytes.Buffer) (time.Time, error) {
		return h.renderArchivePage(ctx, b, st, af, n, f)
	})
}

// maxPageDigits bounds a page number's length: more cannot be a page.
const maxPageDigits = 12

// pageNumber parses a page number in its one canonical form: decimal,
// positive, no sign and no leading zero (so each page has one URL and one
// cache entry).
func pageNumber(s string) (int, bool) {
	if s == "" || len(s) > maxPageDigits || s[0] == '0' {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

// archivePath is the document path of page n of the feed at path.
func archivePath(path string, n int) string {
	return path + "/archive/" + strconv.Itoa(n)
}

// outputArchiveFeed is the archived feed of an output (or "all").
func outputArchiveFeed(out feeds.Output) archiveFeed {
	af := archiveFeed{path: "feeds/" + out.Name, title: out.Title, description: out.Description, filter: out.Filter}
	if out.Name != allOutput && af.title == "" {
		af.title = out.Name
	}
	return af
}

// tagArchiveFeed is the archived feed of a tag, titled as its current document.
func tagArchiveFeed(st *state, tag string) archiveFeed {
	af := archiveFeed{path: "tags/" + tag, page: "tags/" + tag, title: st.Title + ": " + tag,
		description: fmt.Sprintf("Articles tagged %q", tag), filter: feeds.Filter{TagsAll: []string{tag}}}
	if st.Title == "" {
		af.title = tag
	}
	return af
}

// goneError is a page whose articles retention deleted: 410.
type goneError struct{ msg string }

func (e goneError) Error() string { return e.msg }

// renderArchivePage writes page n of af. Only sealed pages are marked
// fh:archive: the open page still takes new articles. A sealed page that
// is still full is marked immutable.
func (h *Handler) renderArchivePage(ctx context.Context, b *bytes.Buffer, st *state, af archiveFeed, n int, f render.Format) (time.Time, error) {
	x, arts, err := h.store.ArchivePage(ctx, af.path, af.filter, ArchivePageSize, n)
	if err != nil {
		return time.Time{}, fmt.Errorf("load archive page: %w", err)
	}
	switch {
	case n > x.Newest():
		return time.Time{}, notFoundError{"There is no such archive page."}
	case n < x.Oldest:
		return time.Time{}, goneError{"The articles of this archive page were deleted by retention."}
	}
	d := render.Doc{Path: archivePath(af.path, n), Page: af.page, Title: af.title, Description: af.description,
		Entries: make([]render.Entry, len(arts)),
		History: render.History{Archive: n <= x.Sealed, Current: af.path}}
	for i, a := range arts {
		d.Entries[i] = render.Entry{Article: a}
	}
	if n > 1 {
		d.History.PrevArchive = archivePath(af.path, n-1)
	}
	if n < x.Newest() {
		d.History.NextArchive = archivePath(af.path, n+1)
	}
	if n <= x.Sealed && len(arts) == ArchivePageSize {
		markImmutable(ctx)
	}
	site, err := h.site(ctx, st)
	if err != nil {
		return time.Time{}, err
	}
	return newestChange(arts), f.Write(b, site, d)
}

// currentHistory is the archive link of a feed's current document: its
// newest archive page, when the feed has an archive.
func (h *Handler) currentHistory(ctx context.Context, path string, filter feeds.Filter) (render.History, error) {
	x, err := h.store.Archive(ctx, path, filter, ArchivePageSize)
	if err != nil {
		return render.History{}, fmt.Errorf("load archive: %w", err)
	}
	if !x.Exists() {
		return render.History{}, nil
	}
	return render.History{PrevArchive: archivePath(path, x.Newest())}, nil
}

// immutableKey is the context key of the flag a builder sets with
// markImmutable.
type immutableKey struct{}

// markImmutable tells serve that the document being built never changes
// (a full archive page), so that it is sent with immutableCC.
func markImmutable(ctx context.Context) {
	if p, ok := ctx.Value(immutableKey{}).(*bool); ok {
		*p = true
	}
}
