package normalize_test

import (
	"strings"
	"testing"
	"time"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/feeds/normalize"
)

// TestLinkKey: renderings and campaigns of one page share a key; pages
// that differ by a content-naming parameter do not.
func TestLinkKey(t *testing.T) {
	same := [][]string{
		{"https://www.reuters.com/world/a-2026-12-01/", "http://reuters.com/world/a-2026-12-01", "https://mobile.reuters.com/world/a-2026-12-01/?src=rss",
			"https://reuters.com:443/world/a-2026-12-01/?cid=rss_nn&at_medium=feed", "https://www.reuters.com/world/a-2026-12-01/?taid=x&utm_campaign=y"},
		{"https://www.bbc.co.uk/news/articles/c8e7", "https://m.bbc.co.uk/news/articles/c8e7", "https://www.bbc.co.uk/news/articles/c8e7.amp", "https://www.bbc.co.uk/news/articles/c8e7.amp/",
			"https://www.bbc.co.uk/news/articles/c8e7?at_medium=RSS&at_campaign=rss"},
		{"https://www.washingtonpost.com/world/2026/12/02/s/", "https://www.washingtonpost.com/world/2026/12/02/s/?outputType=amp&itid=hp",
			"https://washingtonpost.com/world/2026/12/02/s/amp/", "https://www.washingtonpost.com/world/2026/12/02/s?amp=1"},
		{"https://www.nytimes.com/2026/12/01/a.html", "https://www.nytimes.com/2026/12/01/a.html?smid=nytcore-ios-share&referringSource=articleShare",
			"https://nytimes.com/2026/12/01/a.html?partner=rss&emc=rss"},
		{"https://www.theguardian.com/world/x", "https://amp.theguardian.com/world/x", "https://www.theguardian.com/world/x?CMP=Share_iOSApp_Other"},
		{"https://example.com/a?b=2&a=1", "https://example.com/a?a=1&b=2"},
	}
	for _, group := range same {
		want := normalize.LinkKey(normalize.Link(group[0]))
		for _, l := range group[1:] {
			if got := normalize.LinkKey(normalize.Link(l)); got != want {
				t.Errorf("LinkKey(%q) = %q, want %q (as %q)", l, got, want, group[0])
			}
		}
	}
	apart := [][2]string{
		{"https://example.com/article.php?id=123", "https://example.com/article.php?id=124"},
		{"https://example.com/?p=812", "https://example.com/?p=815"},
		{"https://example.com/news?story=1", "https://example.com/news?story=2"},
		{"https://example.com/a?src=home", "https://example.com/a?src=sport"},
		{"https://example.com/a", "https://example.org/a"},
		{"https://m.com/a", "https://com/a"},
	}
	for _, p := range apart {
		if a, b := normalize.LinkKey(normalize.Link(p[0])), normalize.LinkKey(normalize.Link(p[1])); a == b {
			t.Errorf("LinkKey(%q) = LinkKey(%q) = %q", p[0], p[1], a)
		}
	}
	for _, l := range []string{"", "not a url", "javascript:alert(1)", "mailto:a@b"} {
		if got := normalize.LinkKey(normalize.Link(l)); got != "" {
			t.Errorf("LinkKey(Link(%q)) = %q, want \"\"", l, got)
		}
	}
}

func FuzzLinkKey(f *testing.F) {
	for _, s := range []string{"https://www.a.com/x/amp/?amp=1&b=2#!/y", "http://m.b.org:8080/", "https://amp.c.net/a.amp?a&b&&"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		l := normalize.Link(raw)
		k := normalize.LinkKey(l)
		if l == "" && k != "" || l != "" && k == "" && !strings.Contains(l, "://") {
			t.Fatalf("Link %q, LinkKey %q", l, k)
		}
		if k2 := normalize.LinkKey(normalize.Link("https://" + k)); l != "" && !strings.Contains(k, "#") && k2 != k {
			t.Fatalf("LinkKey not stable: %q -> %q", k, k2)
		}
	})
}

func TestDedupeTitleKey(t *testing.T) {
	same := [][]string{
		{"Fed holds rates steady", "UPDATE 2-Fed holds rates steady", "Fed holds rates steady | Reuters", "Fed holds rates steady - Reuters",
			"Fed holds rates steady \u2013 Reuters", "WATCH: Fed holds rates steady", "BREAKING: Fed holds rates steady", "AP: Fed holds rates steady",
			"Fed holds rates steady (Kyle Wiggers/TechCrunch)", "Fed holds rates steady (Associated Press)", "LIVE: Fed holds rates steady"},
		{"U.S. Senate passes bill", "US Senate passes bill", "U.S Senate passes bill"},
		{"Mamdani\u2019s team", "Mamdani&#8217;s team", "Mamdani&amp;#8217;s team", "Mamdani&amp;amp;#8217;s team"},
	}
	for _, group := range same {
		want := normalize.DedupeTitleKey(group[0])
		for _, title := range group[1:] {
			if got := normalize.DedupeTitleKey(title); got != want {
				t.Errorf("DedupeTitleKey(%q) = %q, want %q", title, got, want)
			}
		}
	}
	for _, c := range []struct{ title, outlet, want string }{
		{"Storm hits coast - Springfield Herald", "Springfield Herald", "storm hits coast"},
		{"Storm hits coast | World news", "World news | The Guardian", "storm hits coast"},
		{"Russia-Ukraine war live: Kyiv hit", "", "russia ukraine war live kyiv hit"},
		{"Storm hits coast - and moves on", "", "storm hits coast and moves on"},
		{"The housing crisis will not be solved\u2026", "", "the housing crisis will not be …"},
		{"The housing crisis will not be sol...", "", "the housing crisis will not be …"},
		{"x", "", "x"},
	} {
		if got := normalize.DedupeTitleKey(c.title, c.outlet); got != c.want {
			t.Errorf("DedupeTitleKey(%q, %q) = %q, want %q", c.title, c.outlet, got, c.want)
		}
	}
}

// TestArticlesSharedLinks: a link a document gives to different items is
// no identity; the anchor, when there is one, becomes part of the link.
func TestArticlesSharedLinks(t *testing.T) {
	now := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	n := normalize.New()
	feed := &feeds.Feed{Title: "City News", Items: []feeds.Item{
		{GUID: "pr-1", Link: "https://city.example/news", Title: "Trash schedule changes"},
		{GUID: "pr-2", Link: "https://city.example/news", Title: "New fire chief named"},
		{GUID: "b-1", Link: "https://city.example/briefs#brief-1", Title: "Car stolen"},
		{GUID: "b-2", Link: "https://city.example/briefs#brief-2", Title: "Brush fire"},
		{GUID: "r-1", Link: "https://city.example/rankings", Title: "Rankings: Ohio State stays first"},
		{GUID: "r-2", Link: "https://city.example/rankings", Title: "Rankings: Ohio State stays first"},
	}}
	arts := n.Articles(feed, now)
	want := []struct{ link, key string }{
		{"https://city.example/news", ""},
		{"https://city.example/news", ""},
		{"https://city.example/briefs#brief-1", "city.example/briefs#brief-1"},
		{"https://city.example/briefs#brief-2", "city.example/briefs#brief-2"},
		{"https://city.example/rankings", "city.example/rankings"},
		{"https://city.example/rankings", "city.example/rankings"},
	}
	for i, w := range want {
		if arts[i].Link != w.link || arts[i].LinkKey != w.key {
			t.Errorf("item %d: Link %q LinkKey %q, want %q %q", i, arts[i].Link, arts[i].LinkKey, w.link, w.key)
		}
	}
	// 10,000 items on one page: bounded work, each kept apart.
	many := &feeds.Feed{}
	for i := range 10000 {
		many.Items = append(many.Items, feeds.Item{GUID: "g" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + time.Duration(i).String(),
			Link: "https://one.example/page", Title: "Item " + time.Duration(i).String()})
	}
	for i, a := range n.Articles(many, now) {
		if a.LinkKey != "" {
			t.Fatalf("item %d of one shared page has link key %q", i, a.LinkKey)
		}
	}
}

// TestDedupeTitleKeyBadInput: a title of one character or of 5 MB costs
// little and keys as the rest do.
func TestDedupeTitleKeyBadInput(t *testing.T) {
	huge := strings.Repeat("Breaking news &amp;amp; more - ", 5<<20/31)
	if k := normalize.DedupeTitleKey(normalize.Title(huge), "Reuters"); len(k) > 4*normalize.MaxTitleRunes {
		t.Errorf("key of a 5 MB title is %d bytes", len(k))
	}
	for _, s := range []string{"a", "…", "-", ":", "&", "U.", " - Reuters", "UPDATE 2-"} {
		_ = normalize.DedupeTitleKey(s, "Reuters") // must not panic
	}
}
