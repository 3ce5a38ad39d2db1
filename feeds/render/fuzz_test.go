package render_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/feeds/render"
)

// FuzzFeeds puts arbitrary text into every field of an entry: each format
// must stay well-formed and the writers must not fail.
func FuzzFeeds(f *testing.F) {
	f.Add("plain", "<p>html</p>", "https://example.org/a")
	f.Add(nasty, nasty, "javascript:alert(1)")
	f.Add("]]>", "<![CDATA[ x ]]>", "https://example.org/\x00")
	if shared := sharedDir(); shared != "" {
		files, _ := filepath.Glob(filepath.Join(shared, "corpus", "hostile", "*"))
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil && len(b) < 4096 {
				f.Add(string(b), string(b), "")
			}
		}
	}
	f.Fuzz(func(t *testing.T, text, htm, link string) {
		site := render.Site{Title: text, BaseURL: "https://news.example.org/", Language: text,
			Sources: map[string]feeds.Source{text: {Name: text, URL: link, Title: text}}}
		d := render.Doc{Path: "tags/" + text, Title: text, Description: text, Entries: []render.Entry{{
			Article: feeds.Article{ID: 1, Link: link, Title: text, Author: text, Summary: htm, Content: htm,
				Published: time.Unix(1700000000, 0), Tags: []string{text}, Sources: []string{text}},
			Related: []feeds.RelatedPost{{ArticleID: 2, Title: text, Link: link, Shared: []string{text}}},
		}}}
		for _, fm := range formats() {
			var buf bytes.Buffer
			if err := fm.write(&buf, site, d); err != nil {
				t.Fatalf("%s: %v", fm.ext, err)
			}
			if fm.ext == "json" {
				if !json.Valid(buf.Bytes()) {
					t.Fatalf("invalid JSON:\n%s", buf.Bytes())
				}
				continue
			}
			dec := xml.NewDecoder(&buf)
			for {
				_, err := dec.Token()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatalf("%s not well-formed: %v", fm.ext, err)
				}
			}
		}
	})
}
