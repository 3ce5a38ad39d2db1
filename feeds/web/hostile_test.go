package web_test

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// TestHostileContent: markup and javascript: links stored in plain-text
// fields (title, author, tag, source title, link) never reach a feed or a
// page as markup or as a live link.
func TestHostileContent(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	hostileID := f.ids["hostile"]
	tagPath := "/tags/" + url.PathEscape(hostileTag)
	paths := []string{
		"/", "/sources", articlePath(hostileID), articlePath(f.ids["syria-1"]), "/tags/syria", tagPath,
		"/feeds/all.atom", "/feeds/all.rss", "/feeds/all.json",
		"/feeds/middle-east.atom", "/feeds/middle-east.rss", "/feeds/middle-east.json",
		tagPath + ".atom", tagPath + ".rss", tagPath + ".json",
		"/sources.json", "/opml",
	}
	for _, p := range paths {
		t.Run(p, func(t *testing.T) {
			r := f.get(t, p, 200)
			body := r.text(t)
			ct := r.header.Get("Content-Type")
			// In JSON, a title is a plain string: "<script>" in it is text
			// (json escapes it by default); HTML only lives in content_html.
			if !strings.Contains(ct, "json") && strings.Contains(strings.ToLower(body), "<script") {
				t.Errorf("unescaped <script in %s", p)
			}
			if strings.Contains(body, "javascript:") {
				t.Errorf("javascript: URL in %s", p)
			}
			switch {
			case strings.HasPrefix(ct, "text/html"):
				checkHTML(t, body)
			case strings.Contains(ct, "xml"):
				checkXML(t, body)
			case strings.Contains(ct, "json"):
				checkJSON(t, body)
			}
		})
	}
	// The hostile title is there, as text.
	page := f.get(t, articlePath(hostileID), 200).text(t)
	if !strings.Contains(page, "&lt;script&gt;") {
		t.Errorf("hostile title not shown escaped on its page")
	}
}

// checkHTML parses an HTML page and fails on script elements, event
// handler attributes and script-capable URLs.
func checkHTML(t *testing.T, body string) {
	t.Helper()
	z := html.NewTokenizer(strings.NewReader(body))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			if !errors.Is(z.Err(), io.EOF) {
				t.Errorf("html: %v", z.Err())
			}
			return
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		tok := z.Token()
		switch tok.Data {
		case "script", "iframe", "object", "embed", "base", "form":
			t.Errorf("<%s> element in page", tok.Data)
		}
		for _, a := range tok.Attr {
			if strings.HasPrefix(strings.ToLower(a.Key), "on") {
				t.Errorf("event handler attribute %s=%q on <%s>", a.Key, a.Val, tok.Data)
			}
			if unsafeURL(a.Val) && (a.Key == "href" || a.Key == "src" || a.Key == "action") {
				t.Errorf("script URL %s=%q on <%s>", a.Key, a.Val, tok.Data)
			}
		}
	}
}

// checkXML parses a feed and fails on script elements or links with
// script-capable URLs.
func checkXML(t *testing.T, body string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(body))
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Errorf("xml: %v", err)
			return
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if strings.EqualFold(se.Name.Local, "script") {
			t.Errorf("<script> element in feed")
		}
		for _, a := range se.Attr {
			if unsafeURL(a.Value) {
				t.Errorf("script URL %s=%q on <%s>", a.Name.Local, a.Value, se.Name.Local)
			}
		}
	}
}

func unsafeURL(v string) bool {
	v = strings.ToLower(strings.TrimSpace(v))
	return strings.HasPrefix(v, "javascript:") || strings.HasPrefix(v, "vbscript:") || strings.HasPrefix(v, "data:text/html")
}

// checkJSON decodes a JSON document and fails on script in the HTML
// fields of JSON Feed items.
func checkJSON(t *testing.T, body string) {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Errorf("invalid JSON: %v", err)
		return
	}
	var walk func(key string, v any)
	walk = func(key string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				walk(k, e)
			}
		case []any:
			for _, e := range x {
				walk(key, e)
			}
		case string:
			if (key == "content_html" || strings.HasSuffix(key, "url")) && strings.Contains(strings.ToLower(x), "<script") {
				t.Errorf("script in %s: %q", key, x)
			}
		}
	}
	walk("", v)
}
