package parse_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/feeds/parse"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/encoding/unicode/utf32"
)

const title = "Grüße – 日本 € “x”"

func rssWithTitle(decl, t string) string {
	return decl + `<rss version="2.0"><channel><title>` + t + `</title><link>https://example.org/</link>` +
		`<item><title>` + t + `</title><link>https://example.org/1</link></item></channel></rss>`
}

func encode(t *testing.T, enc encoding.Encoding, s string) []byte {
	t.Helper()
	b, err := enc.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestEncodings(t *testing.T) {
	const cyr = "Привет, мир"
	tests := []struct {
		name        string
		data        func(t *testing.T) []byte
		contentType string
		want        string
	}{
		{"utf-16le with bom", func(t *testing.T) []byte {
			return encode(t, unicode.UTF16(unicode.LittleEndian, unicode.UseBOM), rssWithTitle(`<?xml version="1.0" encoding="utf-16"?>`, title))
		}, "", title},
		{"utf-16be without bom", func(t *testing.T) []byte {
			return encode(t, unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), rssWithTitle(`<?xml version="1.0" encoding="UTF-16BE"?>`, title))
		}, "", title},
		{"utf-32le without bom or declaration", func(t *testing.T) []byte {
			return encode(t, utf32.UTF32(utf32.LittleEndian, utf32.IgnoreBOM), rssWithTitle("", title))
		}, "", title},
		{"utf-32be with bom", func(t *testing.T) []byte {
			return encode(t, utf32.UTF32(utf32.BigEndian, utf32.UseBOM), rssWithTitle(`<?xml version="1.0" encoding="UTF-32"?>`, title))
		}, "", title},
		{"utf-8 with bom", func(t *testing.T) []byte {
			return []byte("\xEF\xBB\xBF" + rssWithTitle(`<?xml version="1.0" encoding="utf-8"?>`, title))
		}, "", title},
		{"declared iso-8859-1", func(t *testing.T) []byte {
			return encode(t, charmap.ISO8859_1, rssWithTitle(`<?xml version="1.0" encoding="ISO-8859-1"?>`, "Café naïve"))
		}, "", "Café naïve"},
		{"declared windows-1251", func(t *testing.T) []byte {
			return encode(t, charmap.Windows1251, rssWithTitle(`<?xml version='1.0' encoding='windows-1251'?>`, cyr))
		}, "", cyr},
		{"windows-1251 from the http charset only", func(t *testing.T) []byte {
			return encode(t, charmap.Windows1251, rssWithTitle("", cyr))
		}, "text/xml; charset=windows-1251", cyr},
		{"http charset over a different prolog", func(t *testing.T) []byte {
			return encode(t, charmap.KOI8R, rssWithTitle(`<?xml version="1.0" encoding="windows-1251"?>`, cyr))
		}, `application/rss+xml; charset="KOI8-R"`, cyr},
		{"http says utf-8, bytes and prolog say koi8-r", func(t *testing.T) []byte {
			return encode(t, charmap.KOI8R, rssWithTitle(`<?xml version="1.0" encoding="KOI8-R"?>`, cyr))
		}, "text/xml; charset=utf-8", cyr},
		{"undeclared windows-1252", func(t *testing.T) []byte {
			return encode(t, charmap.Windows1252, rssWithTitle(`<?xml version="1.0"?>`, "Café “smart” quotes €"))
		}, "", "Café “smart” quotes €"},
		{"prolog says latin-1, bytes are utf-8", func(t *testing.T) []byte {
			return []byte(rssWithTitle(`<?xml version="1.0" encoding="ISO-8859-1"?>`, title))
		}, "", title},
		{"unknown encoding name", func(t *testing.T) []byte {
			return []byte(rssWithTitle(`<?xml version="1.0" encoding="bogus"?>`, title))
		}, "text/xml; charset=bogus", title},
		{"one bad byte in utf-8", func(t *testing.T) []byte {
			return []byte(rssWithTitle("", "日本語 \xff テキスト"))
		}, "", "日本語 \uFFFD テキスト"},
		{"windows-1252 punctuation as C1 controls", func(t *testing.T) []byte {
			return []byte(rssWithTitle("", "don\u0092t"))
		}, "", "don’t"},
		{"forbidden characters", func(t *testing.T) []byte {
			return []byte(rssWithTitle("", "a\x00b\x01c\uFFFEd\uFFFFe&#0;f&#x1;g&#xFFFE;h&#xD800;i&#99999999999;j&#65;k&#00000000000000000000000;l&#x;m"))
		}, "", "abcdefghijAkl\uFFFDm"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := parseSafely(t, tt.data(t), tt.contentType, "https://example.org/feed.xml")
			if err != nil {
				t.Fatal(err)
			}
			checkUTF8(t, f)
			if f.Title != tt.want || len(f.Items) != 1 || f.Items[0].Title != tt.want {
				t.Errorf("title %q (%d items), want %q", f.Title, len(f.Items), tt.want)
			}
		})
	}
}

func TestJSONEncodings(t *testing.T) {
	doc := `{"version":"https://jsonfeed.org/version/1.1","title":"` + title + `","items":[{"id":"1","title":"` + title + `","content_text":"x"}]}`
	tests := []struct {
		name string
		data []byte
	}{
		{"bom", []byte("\xEF\xBB\xBF" + doc)},
		{"utf-16le bom", []byte(string([]byte{0xFF, 0xFE}) + string(encode(t, unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), doc)))},
		{"leading space and control", []byte(" \n\x01" + doc)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := parseSafely(t, tt.data, "application/feed+json", "")
			if err != nil {
				t.Fatal(err)
			}
			if f.Format != "json 1.1" || f.Title != title || len(f.Items) != 1 || f.Items[0].Title != title {
				t.Errorf("got %+v", f)
			}
		})
	}
}

func TestMappingRSS(t *testing.T) {
	doc := `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title>World &amp; more</title><link>/world/</link><ttl>90</ttl>
<item><title>One</title><link>stories/1.html</link><guid isPermaLink="false">id-1</guid>
 <description>&lt;p&gt;summary&lt;/p&gt;</description><content:encoded><![CDATA[<p>content</p>]]></content:encoded>
 <author>editor@example.org</author><pubDate>Mon, 02 Jan 2006 15:04:05 GMT</pubDate>
 <category>Politics</category><category domain="x"> Syria </category><category></category><dc:subject>Middle East</dc:subject></item>
<item><title>Two</title><guid>https://news.example.com/p/2</guid><dc:creator>Jane Doe</dc:creator><pubDate>not a date</pubDate></item>
<item><title>Three</title><guid isPermaLink="false">https://news.example.com/p/3</guid></item>
<item><title>Four</title><guid>not-a-url</guid><link>/abs/4</link></item>
</channel></rss>`
	f, err := parseSafely(t, []byte(doc), "application/rss+xml", "https://news.example.com/feeds/world.xml")
	if err != nil {
		t.Fatal(err)
	}
	want := &feeds.Feed{
		Title: "World & more", Link: "https://news.example.com/world/", Format: "rss 2.0", TTL: 90 * time.Minute,
		Items: []feeds.Item{
			{GUID: "id-1", Link: "https://news.example.com/feeds/stories/1.html", Title: "One", Summary: "<p>summary</p>",
				Content: "<p>content</p>", Author: "editor@example.org", Published: time.Date(2006, 1, 2, 15, 4, 5, 0, time.UTC),
				Categories: []string{"Politics", "Syria", "Middle East"}},
			{GUID: "https://news.example.com/p/2", Link: "https://news.example.com/p/2", Title: "Two", Author: "Jane Doe"},
			{GUID: "https://news.example.com/p/3", Title: "Three"},
			{GUID: "not-a-url", Link: "https://news.example.com/abs/4", Title: "Four"},
		},
	}
	compareFeed(t, f, want)
}

func TestMappingAtom(t *testing.T) {
	doc := `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://blog.example.net/">
 <title>Blog</title><link rel="alternate" href="/"/><link rel="self" href="/atom.xml"/>
 <author><name>Feed Author</name></author><updated>2024-03-01T10:00:00Z</updated><id>urn:x</id>
 <entry><id>urn:e1</id><title type="html">A &amp;lt;b&amp;gt;</title><link href="posts/1"/>
  <published>2024-02-01T10:00:00+01:00</published><updated>2024-02-02T10:00:00Z</updated>
  <summary>sum</summary><content type="html">&lt;p&gt;body&lt;/p&gt;</content>
  <category term="go"/><category term="x" label="Labelled"/></entry>
 <entry><id>urn:e2</id><title>B</title><author><email>b@example.net</email></author><updated>2024-02-03T10:00:00Z</updated></entry>
</feed>`
	f, err := parseSafely(t, []byte(doc), "", "https://other.example.com/feed")
	if err != nil {
		t.Fatal(err)
	}
	pub := time.Date(2024, 2, 1, 9, 0, 0, 0, time.UTC)
	want := &feeds.Feed{
		Title: "Blog", Link: "https://blog.example.net/", Format: "atom 1.0",
		Items: []feeds.Item{
			{GUID: "urn:e1", Link: "https://blog.example.net/posts/1", Title: "A &lt;b&gt;", Summary: "sum", Content: "<p>body</p>",
				Author: "Feed Author", Published: pub, Updated: time.Date(2024, 2, 2, 10, 0, 0, 0, time.UTC), Categories: []string{"go", "x"}}, // the term, not the label
			{GUID: "urn:e2", Title: "B", Author: "b@example.net", Published: time.Date(2024, 2, 3, 10, 0, 0, 0, time.UTC),
				Updated: time.Date(2024, 2, 3, 10, 0, 0, 0, time.UTC)},
		},
	}
	compareFeed(t, f, want)
}

func TestMappingJSON(t *testing.T) {
	doc := `{"version":"https://jsonfeed.org/version/1","title":"J","home_page_url":"/","authors":[{"name":"Top"}],
 "items":[{"id":"1","url":"a/1","title":"T","summary":"s","content_html":"<p>c</p>","tags":["x"," y "],
   "date_published":"2024-01-02T03:04:05Z","date_modified":"2024-01-03T03:04:05Z"},
  {"id":"2","content_text":"plain","authors":[{"name":"Item Author"}]}]}`
	f, err := parseSafely(t, []byte(doc), "application/feed+json", "https://j.example.com/feed.json")
	if err != nil {
		t.Fatal(err)
	}
	want := &feeds.Feed{
		Title: "J", Link: "https://j.example.com/", Format: "json 1.0",
		Items: []feeds.Item{
			{GUID: "1", Link: "https://j.example.com/a/1", Title: "T", Summary: "s", Content: "<p>c</p>", Author: "Top",
				Published: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), Updated: time.Date(2024, 1, 3, 3, 4, 5, 0, time.UTC),
				Categories: []string{"x", "y"}},
			{GUID: "2", Content: "plain", Author: "Item Author"},
		},
	}
	compareFeed(t, f, want)
}

func compareFeed(t *testing.T, got, want *feeds.Feed) {
	t.Helper()
	if got.Title != want.Title || got.Link != want.Link || got.Format != want.Format || got.TTL != want.TTL {
		t.Errorf("feed = %q %q %q %v, want %q %q %q %v", got.Title, got.Link, got.Format, got.TTL, want.Title, want.Link, want.Format, want.TTL)
	}
	if len(got.Items) != len(want.Items) {
		t.Fatalf("%d items, want %d", len(got.Items), len(want.Items))
	}
	for i := range want.Items {
		g, w := got.Items[i], want.Items[i]
		if !g.Published.Equal(w.Published) || !g.Updated.Equal(w.Updated) {
			t.Errorf("item %d dates %v %v, want %v %v", i, g.Published, g.Updated, w.Published, w.Updated)
		}
		g.Published, g.Updated, w.Published, w.Updated = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("item %d =\n %+v\nwant\n %+v", i, g, w)
		}
	}
}

func TestNotAFeed(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write([]byte(rssWithTitle("", "x")))
	_ = zw.Close()
	deep := strings.Repeat("<x:a>", 5000) + strings.Repeat("</x:a>", 5000)
	tests := []struct {
		name string
		data string
		want error
	}{
		{"empty", "", parse.ErrNotAFeed},
		{"white space", " \n\t ", parse.ErrNotAFeed},
		{"html page", "<!DOCTYPE html><html><head><title>Moved</title></head><body>gone</body></html>", parse.ErrNotAFeed},
		{"random bytes", "\x93\x01\xfe\x00garbage\xff", parse.ErrNotAFeed},
		{"gzip", gz.String(), parse.ErrNotAFeed},
		{"xml of another kind", `<?xml version="1.0"?><note><to>x</to></note>`, parse.ErrNotAFeed},
		{"json array", `[{"title":"x"}]`, parse.ErrNotAFeed},
		{"plain text", "hello", parse.ErrNotAFeed},
		{"truncated xml", rssWithTitle("", "x")[:60], parse.ErrMalformed},
		{"broken json", `{"version":"https://jsonfeed.org/version/1.1","items":[`, parse.ErrMalformed},
		{"deep nesting", `<rss version="2.0"><channel><item><title>t</title>` + deep + `</item></channel></rss>`, parse.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := parseSafely(t, []byte(tt.data), "text/xml", "https://example.org/")
			if err == nil {
				t.Fatalf("got a feed %+v, want an error", f)
			}
			if !errors.Is(err, tt.want) || err.Error() == "" {
				t.Errorf("error %q, want %v", err, tt.want)
			}
			t.Log(err)
		})
	}
}

func TestItemCap(t *testing.T) {
	var b strings.Builder
	b.WriteString(`<rss version="2.0"><channel><title>many</title>`)
	for i := range parse.MaxItems + 50 {
		fmt.Fprintf(&b, "<item><title>%d</title><guid>g%d</guid></item>", i, i)
	}
	b.WriteString("</channel></rss>")
	f, err := parseSafely(t, []byte(b.String()), "", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Items) != parse.MaxItems || f.Items[0].Title != "0" || f.Items[parse.MaxItems-1].Title != fmt.Sprint(parse.MaxItems-1) {
		t.Errorf("%d items, first %q", len(f.Items), f.Items[0].Title)
	}
}

func TestTTL(t *testing.T) {
	tests := []struct {
		ttl  string
		want time.Duration
	}{
		{"60", time.Hour}, {" 5 ", 5 * time.Minute}, {"0", 0}, {"-5", 0}, {"soon", 0}, {"99999999999", 7 * 24 * time.Hour},
		{"100000000", 7 * 24 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.ttl, func(t *testing.T) {
			doc := `<rss version="2.0"><channel><title>t</title><ttl>` + tt.ttl + `</ttl><item><title>x</title></item></channel></rss>`
			f, err := parseSafely(t, []byte(doc), "", "")
			if err != nil {
				t.Fatal(err)
			}
			if f.TTL != tt.want {
				t.Errorf("TTL = %v, want %v", f.TTL, tt.want)
			}
		})
	}
}

// TestLanguage: the feed's declared language comes from RSS <language> (or
// dc:language), Atom xml:lang and JSON Feed "language"; a value that is not
// a language tag is dropped.
func TestLanguage(t *testing.T) {
	cases := []struct {
		name, doc, want string
	}{
		{"rss", `<rss version="2.0"><channel><title>t</title><language>ur</language><item><title>x</title></item></channel></rss>`, "ur"},
		{"rss dc", `<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>t</title><dc:language>he</dc:language><item><title>x</title></item></channel></rss>`, "he"},
		{"rss placeholder", `<rss version="2.0"><channel><title>t</title><language>rss_2.0.channel.language</language><item><title>x</title></item></channel></rss>`, ""},
		{"rss none", `<rss version="2.0"><channel><title>t</title><item><title>x</title></item></channel></rss>`, ""},
		{"atom", `<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="ar"><title>t</title><entry><title>x</title></entry></feed>`, "ar"},
		{"json", `{"version":"https://jsonfeed.org/version/1.1","title":"t","language":"fa-IR","items":[{"id":"1","title":"x"}]}`, "fa-IR"},
		{"hostile", `<rss version="2.0"><channel><title>t</title><language>en" onload="x</language><item><title>x</title></item></channel></rss>`, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := parse.Parse([]byte(tc.doc), "", "https://example.org/feed")
			if err != nil {
				t.Fatal(err)
			}
			if f.Language != tc.want {
				t.Errorf("Language = %q, want %q", f.Language, tc.want)
			}
		})
	}
}
