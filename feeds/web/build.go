package web

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/feeds/render"
)

// Content types of documents this package writes itself.
const (
	contentTypeJSON = "application/json; charset=utf-8"
	contentTypeOPML = render.ContentTypeOPML
)

// Sizes of the HTML pages' lists.
const (
	indexLatest = 30
	indexTags   = 40
	// popularSources is how many sources must carry a tag for the index to
	// show it as popular.
	popularSources = 2
	tagArticles    = DefaultLimit
)

// renderOutput writes a configured output or the built-in "all".
func (h *Handler) renderOutput(ctx context.Context, b *bytes.Buffer, st *state, out feeds.Output, f render.Format) (time.Time, error) {
	filter := out.Filter
	if filter.Limit <= 0 {
		filter.Limit = DefaultLimit
	}
	entries, modified, err := h.entries(ctx, filter)
	if err != nil {
		return time.Time{}, err
	}
	d := render.Doc{Path: "feeds/" + out.Name, Title: out.Title, Description: out.Description, Entries: entries}
	if out.Name != allOutput && d.Title == "" {
		d.Title = out.Name
	}
	if d.History, err = h.currentHistory(ctx, d.Path, filter); err != nil {
		return time.Time{}, err
	}
	site, err := h.site(ctx, st)
	if err != nil {
		return time.Time{}, err
	}
	return modified, f.Write(b, site, d)
}

// renderTagFeed writes the feed of one tag; ErrNotFound when no article
// carries it.
func (h *Handler) renderTagFeed(ctx context.Context, b *bytes.Buffer, st *state, tag string, f render.Format) (time.Time, error) {
	if err := h.tagExists(ctx, tag); err != nil {
		return time.Time{}, err
	}
	entries, modified, err := h.entries(ctx, feeds.Filter{TagsAll: []string{tag}, Limit: DefaultLimit})
	if err != nil {
		return time.Time{}, err
	}
	d := render.Doc{
		Path:        "tags/" + tag,
		Page:        "tags/" + tag,
		Title:       st.Title + ": " + tag,
		Description: fmt.Sprintf("Articles tagged %q", tag),
		Entries:     entries,
	}
	if st.Title == "" {
		d.Title = tag
	}
	if d.History, err = h.currentHistory(ctx, d.Path, feeds.Filter{TagsAll: []string{tag}}); err != nil {
		return time.Time{}, err
	}
	site, err := h.site(ctx, st)
	if err != nil {
		return time.Time{}, err
	}
	return modified, f.Write(b, site, d)
}

// tagExists is nil when at least one article carries tag.
func (h *Handler) tagExists(ctx context.Context, tag string) error {
	n, err := h.store.TagCount(ctx, tag)
	if err != nil {
		return fmt.Errorf("count tag: %w", err)
	}
	if n == 0 {
		return notFoundError{"There is no such tag."}
	}
	return nil
}

// entries loads the articles a filter selects with their related posts,
// and the newest change among them.
func (h *Handler) entries(ctx context.Context, f feeds.Filter) ([]render.Entry, time.Time, error) {
	arts, err := h.store.Articles(ctx, f)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("load articles: %w", err)
	}
	var related map[int64][]feeds.RelatedPost
	if len(arts) > 0 {
		ids := make([]int64, len(arts))
		for i, a := range arts {
			ids[i] = a.ID
		}
		if related, err = h.store.RelatedFor(ctx, ids); err != nil {
			return nil, time.Time{}, fmt.Errorf("load related posts: %w", err)
		}
	}
	entries := make([]render.Entry, len(arts))
	for i, a := range arts {
		entries[i] = render.Entry{Article: a, Related: related[a.ID]}
	}
	return entries, newestChange(arts), nil
}

// newestChange is the latest publication or update of the articles: the
// documents' Last-Modified.
func newestChange(arts []feeds.Article) time.Time {
	var t time.Time
	for _, a := range arts {
		t = later(t, later(a.Published, a.Updated))
	}
	return t
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// renderTagPage writes the HTML page of one tag.
func (h *Handler) renderTagPage(ctx context.Context, b *bytes.Buffer, st *state, tag string) (time.Time, error) {
	n, err := h.store.TagCount(ctx, tag)
	if err != nil {
		return time.Time{}, fmt.Errorf("count tag: %w", err)
	}
	if n == 0 {
		return time.Time{}, notFoundError{"There is no such tag."}
	}
	arts, err := h.store.Articles(ctx, feeds.Filter{TagsAll: []string{tag}, Limit: tagArticles})
	if err != nil {
		return time.Time{}, fmt.Errorf("load articles: %w", err)
	}
	langs, err := h.languages(ctx, arts)
	if err != nil {
		return time.Time{}, err
	}
	site, err := h.site(ctx, st)
	if err != nil {
		return time.Time{}, err
	}
	return newestChange(arts), h.pages.Tag(b, render.TagPage{Site: site, Tag: tag, Count: n, Articles: arts, Languages: langs})
}

// renderArticle writes the HTML page of one article.
func (h *Handler) renderArticle(ctx context.Context, b *bytes.Buffer, st *state, id int64) (time.Time, error) {
	a, err := h.store.Article(ctx, id)
	if err != nil {
		if isNotFound(err) {
			// Dedupe may have found it to be a copy of another article.
			if to, err := h.store.MergedInto(ctx, id); err == nil {
				return time.Time{}, movedError{"/articles/" + strconv.FormatInt(to, 10)}
			} else if !isNotFound(err) {
				return time.Time{}, err
			}
			return time.Time{}, notFoundError{"There is no such article."}
		}
		return time.Time{}, fmt.Errorf("load article: %w", err)
	}
	rel, err := h.store.Related(ctx, id)
	if err != nil {
		return time.Time{}, fmt.Errorf("load related posts: %w", err)
	}
	langs, err := h.languages(ctx, []feeds.Article{a})
	if err != nil {
		return time.Time{}, err
	}
	site, err := h.site(ctx, st)
	if err != nil {
		return time.Time{}, err
	}
	return later(a.Published, a.Updated), h.pages.Article(b, render.ArticlePage{Site: site, Article: a, Related: rel, Languages: langs})
}

// site is the settings' Site with the titles sources' feeds give
// themselves, for sources configured without one. One small query; the
// document it goes into is cached.
func (h *Handler) site(ctx context.Context, st *state) (render.Site, error) {
	titles, err := h.store.SourceFeedTitles(ctx)
	if err != nil {
		return render.Site{}, fmt.Errorf("load source feed titles: %w", err)
	}
	site := st.site
	site.FeedTitles = titles
	return site, nil
}

// languages is the declared language of the sources of arts, by source
// name; nil (no query) for no articles.
func (h *Handler) languages(ctx context.Context, arts []feeds.Article) (map[string]string, error) {
	if len(arts) == 0 {
		return nil, nil
	}
	langs, err := h.store.SourceLanguages(ctx)
	if err != nil {
		return nil, fmt.Errorf("load source languages: %w", err)
	}
	return langs, nil
}

// renderIndex writes the home page.
func (h *Handler) renderIndex(ctx context.Context, b *bytes.Buffer, st *state) (time.Time, error) {
	arts, err := h.store.Articles(ctx, feeds.Filter{Limit: indexLatest})
	if err != nil {
		return time.Time{}, fmt.Errorf("load articles: %w", err)
	}
	// Popular tags span sources (one podcast's own dozen tags are not
	// popular), unless only one source is configured.
	tags, err := h.store.PopularTags(ctx, indexTags, max(1, min(popularSources, len(st.Sources))), render.PopularTag)
	if err != nil {
		return time.Time{}, fmt.Errorf("load tags: %w", err)
	}
	langs, err := h.languages(ctx, arts)
	if err != nil {
		return time.Time{}, err
	}
	site, err := h.site(ctx, st)
	if err != nil {
		return time.Time{}, err
	}
	p := render.IndexPage{Site: site, Outputs: st.Outputs, Latest: arts, Tags: tags, Languages: langs}
	if len(arts) == 0 {
		// An empty index says why: not fetched yet, or every fetch failed.
		// It shows fetch state then, so it follows the StateGeneration.
		markShowsState(ctx)
		states, _, err := h.sourceStates(ctx, st)
		if err != nil {
			return time.Time{}, err
		}
		for _, s := range states {
			switch {
			case s.Gone || s.LastError != "" || s.Failures > 0:
				p.Failing++
			case !s.LastFetch.IsZero():
				p.Fetched++
			}
		}
	}
	return newestChange(arts), h.pages.Index(b, p)
}

// sourceStates is the fetch state of every configured source, by name;
// a source not fetched yet has an empty state. Sources the store still
// knows but the configuration dropped are left out.
func (h *Handler) sourceStates(ctx context.Context, st *state) ([]feeds.SourceState, time.Time, error) {
	stored, err := h.store.SourceStates(ctx)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("load source states: %w", err)
	}
	byName := make(map[string]int, len(stored))
	for i, s := range stored {
		byName[s.Name] = i
	}
	out := make([]feeds.SourceState, 0, len(st.Sources))
	var modified time.Time
	for _, src := range st.Sources {
		s := feeds.SourceState{Name: src.Name, URL: src.URL}
		if i, ok := byName[src.Name]; ok {
			s = stored[i]
		}
		if h.nextRun != nil && !s.Gone {
			if next, ok := h.nextRun(src.Name); ok && next.After(s.NextAttempt) {
				s.NextAttempt = next
			}
		}
		modified = later(modified, s.LastFetch)
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b feeds.SourceState) int { return cmp.Compare(a.Name, b.Name) })
	return out, modified, nil
}

// renderSourcesPage writes /sources.
func (h *Handler) renderSourcesPage(ctx context.Context, b *bytes.Buffer, st *state) (time.Time, error) {
	states, modified, err := h.sourceStates(ctx, st)
	if err != nil {
		return time.Time{}, err
	}
	site := st.site
	site.FeedTitles = make(map[string]string, len(states))
	for _, s := range states {
		if s.FeedTitle != "" {
			site.FeedTitles[s.Name] = s.FeedTitle
		}
	}
	return modified, h.pages.Sources(b, render.SourcesPage{Site: site, Sources: states})
}

// sourceJSON is one source in /sources.json. Times are RFC 3339, null when
// it never happened; these names are part of the product's surface.
type sourceJSON struct {
	Name         string     `json:"name"`
	Title        string     `json:"title"`
	URL          string     `json:"url"`
	FetchURL     string     `json:"fetch_url"`
	LastFetch    *time.Time `json:"last_fetch"`
	LastSuccess  *time.Time `json:"last_success"`
	LastStatus   int        `json:"last_status"`
	LastError    string     `json:"last_error"`
	Failures     int        `json:"failures"`
	NextAttempt  *time.Time `json:"next_attempt"`
	Gone         bool       `json:"gone"`
	ItemCount    int        `json:"item_count"`
	ArticleCount int        `json:"article_count"`
	OK           bool       `json:"ok"` // fetched successfully at least once, and the last attempt succeeded
}

// renderSourcesJSON writes /sources.json: one source a line, each line
// compact. (Indenting a large document doubles its encoding time, which
// is then as much as the query behind it.)
func (h *Handler) renderSourcesJSON(ctx context.Context, b *bytes.Buffer, st *state) (time.Time, error) {
	states, modified, err := h.sourceStates(ctx, st)
	if err != nil {
		return time.Time{}, err
	}
	b.Grow(len(states) * 400)
	b.WriteString("{\"sources\": [")
	for i, s := range states {
		line, err := json.Marshal(sourceJSON{
			Name:         s.Name,
			Title:        displayTitle(st.site.Sources[s.Name], s),
			URL:          s.URL,
			FetchURL:     s.FetchURL(),
			LastFetch:    timePtr(s.LastFetch),
			LastSuccess:  timePtr(s.LastSuccess),
			LastStatus:   s.LastStatus,
			LastError:    s.LastError,
			Failures:     s.Failures,
			NextAttempt:  timePtr(s.NextAttempt),
			Gone:         s.Gone,
			ItemCount:    s.ItemCount,
			ArticleCount: s.ArticleCount,
			OK:           !s.Gone && s.LastError == "" && !s.LastSuccess.IsZero(),
		})
		if err != nil {
			return time.Time{}, fmt.Errorf("encode source %s: %w", s.Name, err)
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("\n  ")
		b.Write(line)
	}
	b.WriteString("\n]}\n")
	return modified, nil
}

// timePtr is t in UTC, or nil for the zero time.
func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

// renderOPML writes /opml: the configured sources.
func (h *Handler) renderOPML(b *bytes.Buffer, st *state) (time.Time, error) {
	return time.Time{}, render.OPML(b, st.Title, st.Sources)
}

// renderError writes an HTML error page.
func (h *Handler) renderError(b *bytes.Buffer, st *state, code int, msg string) error {
	return h.pages.Error(b, render.ErrorPage{Site: st.site, Status: code, Message: msg})
}

// isNotFound reports the store's not-found error.
func isNotFound(err error) bool { return err != nil && errors.Is(err, feeds.ErrNotFound) }

// displayTitle is the name a source is shown by: its configured title,
// else its feed's own, else its name.
func displayTitle(src feeds.Source, s feeds.SourceState) string {
	if src.Title == "" && s.FeedTitle != "" {
		return s.FeedTitle
	}
	return src.DisplayTitle()
}
