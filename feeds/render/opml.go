package render

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/net/html/charset"

	"github.com/feedloom/feedloom/feeds"
)

// OPML 2.0 (http://opml.org/spec2.opml) is how feed readers exchange
// subscription lists: `feedloom opml export` and /opml write one,
// `feedloom opml import` reads one.

type opmlDoc struct {
	XMLName xml.Name    `xml:"opml"`
	Version string      `xml:"version,attr"`
	Title   string      `xml:"head>title"`
	Docs    string      `xml:"head>docs"`
	Body    []opmlEntry `xml:"body>outline"`
}

type opmlEntry struct {
	Type     string `xml:"type,attr"`
	Text     string `xml:"text,attr"`
	Title    string `xml:"title,attr"`
	XMLURL   string `xml:"xmlUrl,attr"`
	Category string `xml:"category,attr,omitempty"`
}

// OPML writes sources as an OPML 2.0 subscription list, one outline of
// type "rss" per source, its tags as the category attribute ("/world,/tech").
// There is no dateCreated: the same sources give the same bytes.
func OPML(w io.Writer, title string, sources []feeds.Source) error {
	doc := opmlDoc{
		Version: "2.0",
		Title:   line(title),
		Docs:    "http://opml.org/spec2.opml",
		Body:    make([]opmlEntry, 0, len(sources)),
	}
	if doc.Title == "" {
		doc.Title = "feedloom sources"
	}
	for _, s := range sources {
		t := line(s.DisplayTitle())
		e := opmlEntry{Type: "rss", Text: t, Title: t, XMLURL: clean(s.URL)}
		var cats []string
		for _, tag := range s.Tags {
			if tag = line(tag); tag != "" {
				cats = append(cats, "/"+strings.ReplaceAll(tag, ",", " "))
			}
		}
		e.Category = strings.Join(cats, ",")
		doc.Body = append(doc.Body, e)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("write opml: %w", err)
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write opml: %w", err)
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return fmt.Errorf("write opml: %w", err)
	}
	return nil
}

// ErrNoOPML is returned by ParseOPML for a document that is not OPML.
var ErrNoOPML = errors.New("not an OPML document")

// opmlIn is an outline as read: attributes looked up case-insensitively
// (exports disagree on xmlUrl / xmlurl), children nested to any depth.
type opmlIn struct {
	Attrs    []xml.Attr `xml:",any,attr"`
	Outlines []opmlIn   `xml:"outline"`
}

func (o opmlIn) attr(name string) string {
	for _, a := range o.Attrs {
		if strings.EqualFold(a.Name.Local, name) {
			return strings.TrimSpace(a.Value)
		}
	}
	return ""
}

// OPMLSkip is an outline ParseOPML did not turn into a source of its own,
// and why, so that `feedloom opml import` can tell the admin what of their
// subscription list is not in the YAML it prints.
type OPMLSkip struct {
	Title  string // the outline's title or text, as one line
	URL    string // its xmlUrl, "" when it had none
	Reason string // "duplicate of NAME" or "no feed URL (xmlUrl)"
}

// ParseOPML reads a subscription list for `feedloom opml import`. Every
// outline with an xmlUrl becomes a source; nested outlines are flattened,
// the titles of the folders around a feed and its category attribute
// becoming its tags. Names are slugs of the titles ([a-z0-9-], else of the
// URL's host), made unique with -2, -3…; a URL listed twice is kept once
// with the tags of both. Schedule is left empty (the config's default).
// The outlines left out (a URL listed again, an outline that is neither a
// feed nor a folder of feeds) are returned as skipped.
func ParseOPML(r io.Reader) (_ []feeds.Source, skipped []OPMLSkip, _ error) {
	var doc struct {
		XMLName  xml.Name
		Outlines []opmlIn `xml:"body>outline"`
	}
	d := xml.NewDecoder(r)
	d.CharsetReader = charset.NewReaderLabel
	if err := d.Decode(&doc); err != nil {
		return nil, nil, fmt.Errorf("parse opml: %w", err)
	}
	if doc.XMLName.Local != "opml" {
		return nil, nil, fmt.Errorf("parse opml: root <%s>: %w", doc.XMLName.Local, ErrNoOPML)
	}
	var out []feeds.Source
	byURL := map[string]int{}
	names := map[string]bool{}
	var walk func(list []opmlIn, folders []string)
	walk = func(list []opmlIn, folders []string) {
		for _, o := range list {
			t := line(firstNonEmpty(o.attr("title"), o.attr("text")))
			u := clean(o.attr("xmlUrl"))
			if u == "" {
				if len(o.Outlines) == 0 {
					skipped = append(skipped, OPMLSkip{Title: t, URL: line(o.attr("htmlUrl")), Reason: "no feed URL (xmlUrl)"})
				}
				walk(o.Outlines, appendTag(folders, t))
				continue
			}
			tags := slices.Clone(folders)
			for _, c := range strings.Split(o.attr("category"), ",") {
				for _, part := range strings.Split(c, "/") {
					tags = appendTag(tags, part)
				}
			}
			if i, ok := byURL[u]; ok {
				out[i].Tags = sortedTags(append(out[i].Tags, tags...))
				skipped = append(skipped, OPMLSkip{Title: t, URL: u, Reason: "duplicate of " + out[i].Name})
				continue
			}
			byURL[u] = len(out)
			out = append(out, feeds.Source{Name: uniqueName(names, t, u), URL: u, Title: t, Tags: sortedTags(tags)})
			walk(o.Outlines, folders)
		}
	}
	walk(doc.Outlines, nil)
	return out, skipped, nil
}

// firstNonEmpty is the first of its arguments that is not blank.
func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}

// appendTag adds a tag made from a folder or category name: lower case,
// dashes for spaces (feeds/tag normalises it further when articles are tagged).
func appendTag(tags []string, name string) []string {
	t := strings.Join(strings.Fields(strings.ToLower(line(name))), "-")
	if t == "" {
		return tags
	}
	return append(slices.Clip(tags), t)
}

// sortedTags sorts and dedupes tags; nil when there are none.
func sortedTags(tags []string) []string {
	if len(tags) == 0 {
		return nil
	}
	slices.Sort(tags)
	return slices.Compact(tags)
}

// uniqueName picks a source name for a title (or, without a usable one, the
// feed URL's host) that is not yet in names, and records it.
func uniqueName(names map[string]bool, title, feedURL string) string {
	n := slug(title)
	if n == "" {
		if u, err := url.Parse(feedURL); err == nil {
			n = slug(strings.TrimPrefix(u.Hostname(), "www."))
		}
	}
	if n == "" {
		n = "feed"
	}
	name := n
	for i := 2; names[name]; i++ {
		name = n + "-" + strconv.Itoa(i)
	}
	names[name] = true
	return name
}
