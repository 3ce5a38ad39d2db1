package parse_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/feeds/parse"
)

// FuzzParse: no input makes Parse panic or hang, return neither feed nor error, or
// return text that is not UTF-8. Seeded with every corpus file.
func FuzzParse(f *testing.F) {
	if dir, _ := findCorpus(); dir != "" {
		files, _ := filepath.Glob(filepath.Join(dir, "*", "*"))
		for _, p := range files {
			if filepath.Base(filepath.Dir(p)) == "LICENSES" {
				continue
			}
			// Big seeds make each run and every minimisation slow: the
			// first 128 KB of each file (often truncated XML) still seed
			// every shape.
			if data, err := os.ReadFile(p); err == nil {
				f.Add(data[:min(len(data), 128<<10)], "")
			}
		}
	}
	f.Add([]byte(rssWithTitle(`<?xml version="1.0" encoding="windows-1251"?>`, "x")), "text/xml; charset=koi8-r")
	f.Add([]byte("\xFF\xFE<\x00r\x00s\x00s\x00>\x00"), "")
	f.Add([]byte(`{"version":"https://jsonfeed.org/version/1.1","items":[{"id":"1"}]}`), "application/feed+json")
	f.Fuzz(func(t *testing.T, data []byte, contentType string) {
		type result struct {
			feed *feeds.Feed
			err  error
		}
		done := make(chan result, 1)
		go func() {
			f, err := parse.Parse(data, contentType, "https://example.org/dir/feed.xml")
			done <- result{f, err}
		}()
		var feed *feeds.Feed
		var err error
		select {
		case r := <-done:
			feed, err = r.feed, r.err
		case <-time.After(10 * time.Second):
			t.Fatalf("Parse of %d bytes did not return within 10s", len(data))
		}
		if err != nil {
			if feed != nil || err.Error() == "" || !(errors.Is(err, parse.ErrNotAFeed) || errors.Is(err, parse.ErrMalformed)) {
				t.Fatalf("bad error %v (feed %v)", err, feed)
			}
			return
		}
		if feed == nil {
			t.Fatal("nil feed and nil error")
		}
		if len(feed.Items) > parse.MaxItems {
			t.Fatalf("%d items", len(feed.Items))
		}
		for _, it := range feed.Items {
			for _, s := range []string{it.Title, it.Summary, it.Content, it.Author, it.Link, it.GUID} {
				if !utf8.ValidString(s) {
					t.Fatalf("invalid UTF-8 %q", s)
				}
			}
		}
	})
}

// BenchmarkParse parses the largest real feed of the corpus (1.6 MB, 730 items).
func BenchmarkParse(b *testing.B) {
	dir := corpusDir(b)
	data, err := os.ReadFile(filepath.Join(dir, "rss", "rssparser-giantbomb-podcast.rss"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		f, err := parse.Parse(data, "application/rss+xml", "https://www.giantbomb.com/feed")
		if err != nil || len(f.Items) != 730 {
			b.Fatalf("%v, %d items", err, len(f.Items))
		}
	}
}
