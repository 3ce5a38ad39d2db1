package normalize_test

import (
	"strings"
	"testing"
	"time"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/feeds/normalize"
)

func TestItemKeys(t *testing.T) {
	d1 := time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)
	d2 := d1.Add(time.Hour)
	tests := []struct {
		name  string
		items []feeds.Item
		kinds []string // expected prefix per item
		same  [][2]int // pairs of indexes whose keys must be equal
	}{
		{"unique guids", []feeds.Item{{GUID: "a", Link: "https://x.org/1"}, {GUID: "b", Link: "https://x.org/1"}},
			[]string{"g:a", "g:b"}, nil},
		{"guid trimmed", []feeds.Item{{GUID: " a "}}, []string{"g:a"}, nil},
		{"repeated guid falls back to link", []feeds.Item{{GUID: "same", Link: "https://x.org/1"}, {GUID: "same", Link: "https://x.org/2?utm_source=y"}},
			[]string{"l:https://x.org/1", "l:https://x.org/2"}, nil},
		{"one empty guid falls back to link", []feeds.Item{{GUID: "a", Link: "https://x.org/1"}, {Link: "https://x.org/2"}},
			[]string{"l:", "l:"}, nil},
		{"repeated links fall back to title", []feeds.Item{{Link: "https://x.org/", Title: "One", Published: d1}, {Link: "https://x.org/", Title: "Two", Published: d1}},
			[]string{"t:", "t:"}, nil},
		{"no guid no link", []feeds.Item{{Title: "One", Published: d1}, {Title: "One", Published: d2}, {Title: "Two"}},
			[]string{"t:", "t:", "t:"}, nil},
		{"nothing but text", []feeds.Item{{Summary: "<p>a</p>"}, {Summary: "<p>b</p>"}}, []string{"h:", "h:"}, nil},
		{"colliding titles disambiguated", []feeds.Item{{Title: "Live", Summary: "a"}, {Title: "Live", Summary: "b"}},
			[]string{"t:", "t:"}, nil},
		{"empty", nil, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keys := normalize.ItemKeys(tt.items)
			if len(keys) != len(tt.items) {
				t.Fatalf("%d keys for %d items", len(keys), len(tt.items))
			}
			seen := map[string]bool{}
			for i, k := range keys {
				if !strings.HasPrefix(k, tt.kinds[i]) {
					t.Errorf("key %d = %q, want prefix %q", i, k, tt.kinds[i])
				}
				if seen[k] {
					t.Errorf("key %q repeated", k)
				}
				seen[k] = true
			}
		})
	}
	t.Run("stable across fetches", func(t *testing.T) {
		items := []feeds.Item{{Title: "One", Published: d1}, {Title: "Two", Published: d1}}
		a, b := normalize.ItemKeys(items), normalize.ItemKeys(items[1:])
		if a[1] != b[0] {
			t.Errorf("key changed: %q vs %q", a[1], b[0])
		}
	})
	t.Run("title key ignores markup and case", func(t *testing.T) {
		a := normalize.ItemKeys([]feeds.Item{{Title: "<b>Oil</b> rises", Published: d1}})
		b := normalize.ItemKeys([]feeds.Item{{Title: "oil rises", Published: d1}})
		if a[0] != b[0] {
			t.Errorf("%q != %q", a[0], b[0])
		}
	})
}
