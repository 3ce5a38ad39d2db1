package web

import (
	"context"
	"fmt"
	"net/url"
	"strings"
)

// HubPath is the route of feedloom's own WebSub hub, which answers
// subscription requests (POST, form-encoded, as the W3C Recommendation
// says).
const HubPath = "/websub"

// CallbackPath is where the hubs feedloom subscribed to (for sources whose
// feeds advertise one) verify and push: CallbackPath + a random token.
const CallbackPath = "/websub/callback/"

// Route labels of the feed documents, as the routes table names them.
const (
	routeFeeds   = "/feeds/{file}"
	routeTagFeed = "/tags/{tag}"
)

// links are the Link header values of the document under key: the hub
// and the document's own URL, which WebSub subscribers need to find the
// hub and the topic to subscribe to. Only feed documents carry them.
func (st *state) links(key string, page bool) []string {
	if page || st.Hub == "" || !isFeedKey(key) {
		return nil
	}
	return []string{"<" + st.Hub + `>; rel="hub"`, "<" + st.selfURL(key) + `>; rel="self"`}
}

// selfURL is the absolute URL of the document under key, escaped (a tag
// may be any Unicode), as subscribers name it in hub.topic.
func (st *state) selfURL(key string) string {
	return st.BaseURL + (&url.URL{Path: key[1:]}).EscapedPath()
}

// isFeedKey reports whether a cache key is an output's or a tag's feed:
// one segment under /feeds/ or /tags/, as resolveTopic takes them. Their
// archive pages (/feeds/all/archive/3.atom) are no topics: they advertise
// no hub.
func isFeedKey(key string) bool {
	rest, ok := strings.CutPrefix(key, "/feeds/")
	if !ok {
		rest, ok = strings.CutPrefix(key, "/tags/")
	}
	return ok && !strings.Contains(rest, "/")
}

// Document is one version of a feed document, as the WebSub hub delivers it.
type Document struct {
	Body        []byte // shared with the cache: read only
	ContentType string
	Sum         string // changes whenever Body does
}

// Document returns the current version of the feed document at topic, an
// absolute URL under the base URL (an output's or a tag's feed), rendered
// and cached as a request for it would be. A URL that is not one of
// feedloom's feeds, or a tag no article carries, is feeds.ErrNotFound. The
// URL may be escaped or not.
func (h *Handler) Document(ctx context.Context, topic string) (Document, error) {
	st := h.settings.Load()
	key, ctype, route, build, ok := h.resolveTopic(st, topic)
	if !ok {
		return Document{}, notFoundError{"not a feed published here"}
	}
	d, err := h.lookup(ctx, st, key, false, ctype, route, build)
	if err != nil {
		return Document{}, fmt.Errorf("document %s: %w", topic, err)
	}
	return Document{Body: d.body, ContentType: d.ctype[0], Sum: d.sum}, nil
}

// resolveTopic maps a feed's absolute URL to what its route would serve.
// A query or fragment makes it another URL, not one of ours.
func (h *Handler) resolveTopic(st *state, topic string) (key, ctype, route string, build builder, ok bool) {
	rest, ok := strings.CutPrefix(topic, st.BaseURL)
	if !ok || strings.ContainsAny(rest, "?#") {
		return "", "", "", nil, false
	}
	rest, err := url.PathUnescape(rest)
	if err != nil {
		return "", "", "", nil, false
	}
	if file, ok := strings.CutPrefix(rest, "feeds/"); ok && !strings.Contains(file, "/") {
		key, ctype, build, ok := h.outputFeed(st, file)
		return key, ctype, routeFeeds, build, ok
	}
	if file, ok := strings.CutPrefix(rest, "tags/"); ok && !strings.Contains(file, "/") {
		key, ctype, build, ok := h.tagFeed(st, file)
		return key, ctype, routeTagFeed, build, ok
	}
	return "", "", "", nil, false
}
