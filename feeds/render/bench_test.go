package render_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/feeds/render"
)

// BenchmarkFeeds renders a 50-entry feed in every format: the work done
// once per format after the HTTP cache is invalidated.
func BenchmarkFeeds(b *testing.B) {
	site := fixtureSite()
	d := render.Doc{Path: "feeds/all", Title: "All", Description: "Every article"}
	t0 := time.Date(2024, 5, 3, 9, 0, 0, 0, time.UTC)
	for i := range 50 {
		d.Entries = append(d.Entries, render.Entry{
			Article: feeds.Article{
				ID: int64(1000 + i), Link: fmt.Sprintf("https://example.org/world/story-%d", i),
				Title: fmt.Sprintf("Story number %d about the region", i), Author: "Wire Staff",
				Summary:   fmt.Sprintf("<p>Lead paragraph %d.</p>", i),
				Content:   "<p>" + strings.Repeat(fmt.Sprintf("Paragraph %d of a realistic article body. ", i), 30) + "</p>",
				Published: t0.Add(-time.Duration(i) * time.Hour),
				Tags:      []string{"world", "syria", "security"}, Sources: []string{"example-world", "wire-news"},
			},
			Related: []feeds.RelatedPost{{ArticleID: int64(2000 + i), Title: "Related story", Link: "https://example.org/world/related", Score: 1.5}},
		})
	}
	for _, f := range formats() {
		b.Run(f.ext, func(b *testing.B) {
			var buf bytes.Buffer
			b.ReportAllocs()
			for b.Loop() {
				buf.Reset()
				if err := f.write(&buf, site, d); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
