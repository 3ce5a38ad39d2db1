package normalize_test

import (
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/feeds/normalize"
)

func TestArticle(t *testing.T) {
	n := normalize.New()
	it := feeds.Item{
		GUID:      "  tag:example.com,2025:1  ",
		Link:      "https://Example.com/news/oil.html?utm_source=rss#top",
		Title:     "Oil &amp; gas <b>prices</b> rise",
		Summary:   `<p onclick="x()">Prices <a href="/markets">rose</a>.</p><script>alert(1)</script>`,
		Content:   `<p>Long <img src="chart.png"> text</p>`,
		Author:    "<b>Jane</b> Doe\u202E",
		Published: time.Date(2025, 5, 31, 8, 0, 0, 0, time.FixedZone("X", 2*3600)),
		Updated:   time.Date(2025, 5, 31, 9, 0, 0, 0, time.UTC),
	}
	a := n.Article(it, now)
	want := feeds.Article{
		GUID:      "tag:example.com,2025:1",
		Link:      "https://example.com/news/oil.html",
		Title:     "Oil & gas prices rise",
		TitleKey:  "oil gas prices rise",
		Summary:   `<p>Prices <a href="https://example.com/markets" rel="nofollow noopener noreferrer">rose</a>.</p>`,
		Content:   `<p>Long <img src="https://example.com/news/chart.png"/> text</p>`,
		Author:    "Jane Doe",
		Published: time.Date(2025, 5, 31, 6, 0, 0, 0, time.UTC),
		Updated:   time.Date(2025, 5, 31, 9, 0, 0, 0, time.UTC),
		FirstSeen: now,
	}
	want.ContentHash = a.ContentHash
	if a.ContentHash == "" || len(a.ContentHash) != 32 {
		t.Errorf("ContentHash = %q, want 32 hex digits", a.ContentHash)
	}
	if !equalArticle(a, want) {
		t.Errorf("Article:\n got %+v\nwant %+v", a, want)
	}
	if a.Published.Location() != time.UTC {
		t.Errorf("Published not UTC: %v", a.Published)
	}

	t.Run("hash follows what readers see", func(t *testing.T) {
		same := n.Article(it, now.Add(time.Hour))
		if same.ContentHash != a.ContentHash {
			t.Error("hash changed with the clock")
		}
		edited := it
		edited.Content += "<p>Update: more.</p>"
		if n.Article(edited, now).ContentHash == a.ContentHash {
			t.Error("hash did not change with the content")
		}
		tracked := it
		tracked.Link = "https://example.com/news/oil.html?fbclid=abc"
		if n.Article(tracked, now).ContentHash != a.ContentHash {
			t.Error("hash changed with a tracking parameter")
		}
	})
}

func equalArticle(a, b feeds.Article) bool {
	return a.GUID == b.GUID && a.Link == b.Link && a.Title == b.Title && a.TitleKey == b.TitleKey &&
		a.Summary == b.Summary && a.Content == b.Content && a.Author == b.Author &&
		a.Published.Equal(b.Published) && a.Updated.Equal(b.Updated) && a.FirstSeen.Equal(b.FirstSeen) &&
		a.ContentHash == b.ContentHash
}

func TestArticleTitleFallback(t *testing.T) {
	n := normalize.New()
	tests := []struct {
		name string
		it   feeds.Item
		want string
	}{
		{"from summary", feeds.Item{Summary: "<p>One two three four five six seven eight nine ten eleven twelve thirteen</p>"},
			"One two three four five six seven eight nine ten eleven twelve…"},
		{"short summary", feeds.Item{Summary: "<p>Short note.</p>"}, "Short note."},
		{"from content", feeds.Item{Content: "<p>Body text</p>"}, "Body text"},
		{"from link", feeds.Item{Link: "https://example.com/a?utm_source=x"}, "https://example.com/a"},
		{"nothing", feeds.Item{}, ""},
		{"blank title", feeds.Item{Title: " <br> ", Summary: "s"}, "s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := n.Article(tt.it, now).Title; got != tt.want {
				t.Errorf("Title = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestArticleDates(t *testing.T) {
	n := normalize.New()
	past := time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)
	later := past.Add(48 * time.Hour)
	tests := []struct {
		name                 string
		published, updated   time.Time
		wantPub, wantUpdated time.Time
	}{
		{"normal", past, later, past, later},
		{"missing", time.Time{}, time.Time{}, now, now},
		{"missing published uses updated", time.Time{}, past, past, past},
		{"future", now.Add(24 * time.Hour), time.Time{}, now, now},
		{"small skew kept", now.Add(5 * time.Minute), time.Time{}, now.Add(5 * time.Minute), now.Add(5 * time.Minute)},
		{"year 2999", time.Date(2999, 1, 1, 0, 0, 0, 0, time.UTC), time.Time{}, now, now},
		{"pre 1970", time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC), time.Time{}, now, now},
		{"epoch zero", time.Unix(0, 0), time.Time{}, now, now},
		{"two digit year bug", time.Date(25, 5, 1, 0, 0, 0, 0, time.UTC), past, past, past},
		{"1995 kept", time.Date(1995, 3, 1, 0, 0, 0, 0, time.UTC), time.Time{}, time.Date(1995, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(1995, 3, 1, 0, 0, 0, 0, time.UTC)},
		{"updated before published", later, past, later, later},
		{"updated in future", past, now.Add(time.Hour), past, past},
		{"zone converted", time.Date(2025, 5, 1, 2, 0, 0, 0, time.FixedZone("CEST", 7200)), time.Time{}, past, past},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := n.Article(feeds.Item{Title: "t", Published: tt.published, Updated: tt.updated}, now)
			if !a.Published.Equal(tt.wantPub) || !a.Updated.Equal(tt.wantUpdated) {
				t.Errorf("Published, Updated = %v, %v; want %v, %v", a.Published, a.Updated, tt.wantPub, tt.wantUpdated)
			}
			if a.Updated.Before(a.Published) {
				t.Error("Updated before Published")
			}
			if !a.FirstSeen.Equal(now) {
				t.Errorf("FirstSeen = %v", a.FirstSeen)
			}
		})
	}
}

func TestArticleCaps(t *testing.T) {
	n := normalize.New()
	it := feeds.Item{
		GUID:    strings.Repeat("g", 10000),
		Title:   strings.Repeat("long title ", 500000), // 5.5 MB
		Author:  strings.Repeat("a", 10000),
		Content: "<p>" + strings.Repeat("x", 20<<20) + "</p>", // 20 MB
	}
	a := n.Article(it, now)
	if utf8.RuneCountInString(a.Title) > normalize.MaxTitleRunes {
		t.Errorf("title has %d runes", utf8.RuneCountInString(a.Title))
	}
	if utf8.RuneCountInString(a.Author) > normalize.MaxAuthorRunes {
		t.Errorf("author has %d runes", utf8.RuneCountInString(a.Author))
	}
	if len(a.GUID) > normalize.MaxGUIDBytes || !strings.HasPrefix(a.GUID, "sha256:") {
		t.Errorf("guid %q", a.GUID)
	}
	if len(a.Content) > normalize.MaxHTMLBytes || !strings.HasSuffix(a.Content, "</p>") {
		t.Errorf("content: %d bytes, ends %q", len(a.Content), a.Content[len(a.Content)-10:])
	}
}

func TestArticleConcurrent(t *testing.T) {
	n := normalize.New()
	it := feeds.Item{Title: "t", Summary: "<p>a <a href=\"/x\">b</a></p>", Link: "https://example.com/"}
	want := n.Article(it, now)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				if got := n.Article(it, now); got.Summary != want.Summary {
					t.Errorf("Summary = %q, want %q", got.Summary, want.Summary)
				}
			}
		})
	}
	wg.Wait()
}

func TestArticleCorpus(t *testing.T) {
	n := normalize.New()
	items := corpusItems(t)
	if len(items) == 0 {
		t.Skip("no corpus items parsed")
	}
	for _, it := range items {
		a := n.Article(it, now)
		for _, f := range []string{a.Summary, a.Content} {
			if why := unsafeHTML(f); why != "" {
				t.Errorf("item %q: %s", it.GUID, why)
			}
		}
		if a.Published.After(now.Add(normalize.FutureSkew)) || a.Published.UTC().Year() < normalize.MinYear {
			t.Errorf("item %q: Published %v", it.GUID, a.Published)
		}
	}
}
