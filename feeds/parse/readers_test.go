package parse_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/feedloom/feedloom/feeds/parse"
)

// atomEntry wraps one entry's inner XML in an Atom feed that declares the
// Media RSS and YouTube namespaces, as YouTube's channel feeds do.
func atomEntry(entry string) []byte {
	return []byte(`<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:media="http://search.yahoo.com/mrss/" xmlns:yt="http://www.youtube.com/xml/schemas/2015">
<title>Channel</title><id>yt:channel:x</id><updated>2026-12-01T00:00:00Z</updated>
<entry><id>yt:video:1</id><title>Video</title><link rel="alternate" href="https://www.youtube.com/watch?v=1"/>
<published>2026-12-01T00:00:00Z</published>` + entry + `</entry></feed>`)
}

// TestMediaGroup: an entry with only a media:group (YouTube) gets its
// thumbnail and description as content; an entry with its own text keeps it.
func TestMediaGroup(t *testing.T) {
	group := `<media:group><media:title>Video</media:title>
<media:content url="https://www.youtube.com/v/1" type="application/x-shockwave-flash"/>
<media:thumbnail url="https://i.ytimg.com/vi/1/hqdefault.jpg" width="480" height="360"/>
<media:description>First line &amp; more
second line

Second paragraph &lt;b&gt;</media:description></media:group>`
	tests := []struct {
		name, entry, content, summary string
	}{
		{"group only", group,
			`<p><img src="https://i.ytimg.com/vi/1/hqdefault.jpg" alt=""></p><p>First line &amp; more<br>second line</p><p>Second paragraph &lt;b&gt;</p>`, ""},
		{"description only", `<media:group><media:description>Just text</media:description></media:group>`, `<p>Just text</p>`, ""},
		{"thumbnail only", `<media:group><media:thumbnail url="https://i.ytimg.com/vi/1/x.jpg"/></media:group>`,
			`<p><img src="https://i.ytimg.com/vi/1/x.jpg" alt=""></p>`, ""},
		{"unsafe thumbnail dropped", `<media:group><media:thumbnail url="javascript:alert(1)"/><media:description>d</media:description></media:group>`, `<p>d</p>`, ""},
		{"own content wins", `<content type="html">&lt;p&gt;own&lt;/p&gt;</content>` + group, `<p>own</p>`, ""},
		{"own summary wins", `<summary>own</summary>` + group, "", "own"},
		{"no group", ``, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := parse.Parse(atomEntry(tt.entry), "", "https://www.youtube.com/feeds/videos.xml?channel_id=x")
			if err != nil {
				t.Fatal(err)
			}
			it := f.Items[0]
			if it.Content != tt.content || it.Summary != tt.summary {
				t.Errorf("content %q, summary %q\nwant    %q, summary %q", it.Content, it.Summary, tt.content, tt.summary)
			}
		})
	}
}

// TestAtomCategoryTerm: an Atom category's term is the tag, its label only
// a fallback when there is no term.
func TestAtomCategoryTerm(t *testing.T) {
	tests := []struct {
		name, cats string
		want       []string
	}{
		{"term and label", `<category term="middle-east" label="Middle East &amp; Africa"/>`, []string{"middle-east"}},
		{"term only", `<category term="energy"/>`, []string{"energy"}},
		{"label only", `<category label="Oil"/>`, []string{"Oil"}},
		{"several, empty dropped", `<category term=" syria " label="Syria"/><category term="" label=""/><category term="world"/>`, []string{"syria", "world"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := parse.Parse(atomEntry(tt.cats), "", "")
			if err != nil {
				t.Fatal(err)
			}
			if got := f.Items[0].Categories; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("categories %q, want %q", got, tt.want)
			}
		})
	}
	t.Run("rss unchanged", func(t *testing.T) {
		f, err := parse.Parse([]byte(`<rss version="2.0"><channel><title>t</title><item><title>a</title><link>https://e.org/1</link><category>Middle East</category></item></channel></rss>`), "", "")
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(f.Items[0].Categories, ","); got != "Middle East" {
			t.Errorf("rss categories %q", got)
		}
	})
}
