package normalize_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/feeds/normalize/internal/samples"
	"github.com/mmcdole/gofeed"
)

// corpusItems returns items of a few corpus feeds, or skips the test when
// ../shared is absent.
func corpusItems(tb testing.TB) []feeds.Item {
	tb.Helper()
	shared, err := samples.FindShared()
	if err != nil {
		tb.Skipf("skipping: %v", err)
	}
	return loadItems(shared)
}

// seedItems is corpusItems for fuzz seeds: nil when ../shared is absent.
func seedItems() []feeds.Item {
	shared, err := samples.FindShared()
	if err != nil {
		return nil
	}
	return loadItems(shared)
}

// loadItems parses a few corpus feeds with gofeed (no feedloom package:
// feeds/* do not import each other) and returns their items.
func loadItems(shared string) []feeds.Item {
	dir := filepath.Join(shared, "corpus")
	files := []string{
		"rss/feedjira-HREFConsideredHarmful.xml",
		"rss/feedjira-CRE.xml",
		"atom/feedjira-SamRuby.xml",
		"atom/feedrs-atom_relative.xml",
		"json/jsonfeedspec-v1.1-microblog.json",
		"hostile/generated-html-entities.xml",
		"hostile/generated-control-chars.xml",
		"hostile/generated-odd-dates.xml",
		"hostile/generated-no-dates-no-titles.xml",
		"hostile/generated-relative-links-xml-base.xml",
	}
	var items []feeds.Item
	p := gofeed.NewParser()
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			continue // the corpus may change; a missing file is not this package's problem
		}
		feed, err := p.Parse(bytes.NewReader(data))
		if err != nil {
			continue
		}
		for _, it := range feed.Items {
			fi := feeds.Item{GUID: it.GUID, Link: it.Link, Title: it.Title, Summary: it.Description,
				Content: it.Content, Categories: it.Categories}
			if it.Author != nil {
				fi.Author = it.Author.Name
			}
			if it.PublishedParsed != nil {
				fi.Published = *it.PublishedParsed
			}
			if it.UpdatedParsed != nil {
				fi.Updated = *it.UpdatedParsed
			}
			items = append(items, fi)
		}
	}
	return items
}

// now is the fixed clock of the tests.
var now = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
