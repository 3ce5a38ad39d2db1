package samples

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/feedloom/feedloom/feeds"
	"github.com/mmcdole/gofeed"
)

// FindShared returns ../shared next to the repository root (the directory
// holding go.mod, found by walking up from the test's directory) when its
// corpus is present.
func FindShared() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the test's directory")
		}
		dir = parent
	}
	shared := filepath.Join(dir, "..", "shared")
	if _, err := os.Stat(filepath.Join(shared, "corpus")); err != nil {
		return "", fmt.Errorf("shared corpus not present: %w", err)
	}
	return shared, nil
}

// Corpus returns the items of every corpus document gofeed parses,
// or skips when ../shared is absent.
func Corpus(tb testing.TB) []feeds.Item {
	tb.Helper()
	shared, err := FindShared()
	if err != nil {
		tb.Skipf("skipping: %v", err)
	}
	var items []feeds.Item
	p := gofeed.NewParser()
	root := filepath.Join(shared, "corpus")
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		feed, err := p.Parse(bytes.NewReader(data))
		if err != nil {
			return nil // unparseable documents are the parser's business
		}
		for _, it := range feed.Items {
			fi := feeds.Item{GUID: it.GUID, Link: it.Link, Title: it.Title, Summary: it.Description, Content: it.Content}
			if it.Author != nil {
				fi.Author = it.Author.Name
			}
			items = append(items, fi)
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return items
}
