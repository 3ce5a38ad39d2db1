package scheduler_test

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"html"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"golang.org/x/text/encoding/charmap"
)

// The hostile origin's documents are written on the fly, so that no case's
// body sits in the test's own heap while the memory of a fetch is measured.

// stream serves what gen writes, with contentType.
func stream(contentType string, gen func(w io.Writer)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		bw := bufio.NewWriterSize(w, 64<<10)
		gen(bw)
		_ = bw.Flush()
	}
}

const rssType = "application/rss+xml; charset=utf-8"

// rssHead and rssTail frame generated items; the content namespace is
// declared for content:encoded.
const (
	rssHead = `<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>%s</title><link>https://%s.example/</link><description>d</description>
`
	rssTail = "</channel></rss>\n"
)

// items streams an RSS document of n items made by one.
func items(name string, n int, one func(w io.Writer, i int)) http.HandlerFunc {
	return stream(rssType, func(w io.Writer) {
		fmt.Fprintf(w, rssHead, name, name)
		for i := range n {
			one(w, i)
		}
		io.WriteString(w, rssTail)
	})
}

// endless writes a body that never ends, until the client goes away.
func endless(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", rssType)
	chunk := []byte(strings.Repeat("<item><title>again</title></item>\n", 2000))
	fmt.Fprintf(w, rssHead, "endless", "endless")
	for r.Context().Err() == nil {
		if _, err := w.Write(chunk); err != nil {
			return
		}
	}
}

// gzipBomb streams 1 GB of zeros gzipped (about 1 MB on the wire),
// compressed as it goes; the client stops reading long before the end.
func gzipBomb(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", rssType)
	w.Header().Set("Content-Encoding", "gzip")
	zw, _ := gzip.NewWriterLevel(w, gzip.BestSpeed)
	zeros := make([]byte, 64<<10)
	for n := 0; n < 1<<30 && r.Context().Err() == nil; n += len(zeros) {
		if _, err := zw.Write(zeros); err != nil {
			return
		}
	}
	_ = zw.Close()
}

// slowloris sends headers, then one byte every 20 ms, forever.
func slowloris(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", rssType)
	w.WriteHeader(http.StatusOK)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if _, err := io.WriteString(w, "<"); err != nil {
			return
		}
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
		}
	}
}

// neverAnswers accepts the request and sends nothing, not even headers.
func neverAnswers(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() }

// redirect answers with code and Location: to.
func redirect(code int, to string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", to)
		w.WriteHeader(code)
	}
}

// chain redirects /chain/N to /chain/N+1 up to /chain/20, which is a feed.
func chain(w http.ResponseWriter, r *http.Request) {
	var n int
	if _, err := fmt.Sscanf(r.URL.Path, "/chain/%d", &n); err != nil || n >= 20 {
		serveDoc(rss("chain", item{GUID: "c", Link: "https://chain.example/c", Title: "End of the chain"}), "")(w, r)
		return
	}
	redirect(http.StatusFound, fmt.Sprintf("/chain/%d", n+1))(w, r)
}

// body serves fixed bytes with contentType.
func body(contentType string, b []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		_, _ = w.Write(b)
	}
}

// randomBytes is 64 KB of seeded noise.
func randomBytes() []byte {
	r := rand.New(rand.NewPCG(7, 7))
	b := make([]byte, 64<<10)
	for i := range b {
		b[i] = byte(r.UintN(256))
	}
	return b
}

// billionLaughs nests entity references ten deep (10^9 "lol"s if expanded).
func billionLaughs() string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?>` + "\n" + `<!DOCTYPE rss [<!ENTITY lol0 "lol">`)
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&b, `<!ENTITY lol%d "%s">`, i, strings.Repeat(fmt.Sprintf("&lol%d;", i-1), 10))
	}
	b.WriteString(`]>
<rss version="2.0"><channel><title>laughs</title><link>https://laughs.example/</link><description>d</description>
<item><guid>laughs-1</guid><link>https://laughs.example/1</link><title>&lol9;</title><description>Laughing &lol9; out loud</description></item>
</channel></rss>`)
	return b.String()
}

// xxe declares external entities on the local file system and on the
// origin itself; neither may be read.
func xxe(origin string) string {
	return `<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY passwd SYSTEM "file:///etc/passwd"><!ENTITY probe SYSTEM "` + origin + `/probe/xxe"><!ENTITY % param SYSTEM "` + origin + `/probe/dtd"> %param;]>
<rss version="2.0"><channel><title>xxe</title><link>https://xxe.example/</link><description>d</description>
<item><guid>xxe-1</guid><link>https://xxe.example/1</link><title>&passwd;</title><description>Probe &probe; end</description></item>
</channel></rss>`
}

// References to the origin inside feed content, none of which feedloom may
// request: images, links, enclosures, comments, the channel image, an
// XML stylesheet, an Atom link.
func references(origin string) string {
	p := origin + "/probe/"
	return `<?xml version="1.0"?><?xml-stylesheet type="text/xsl" href="` + p + `xsl"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:media="http://search.yahoo.com/mrss/"><channel><title>refs</title><link>` + p + `home</link><description>d</description>
<atom:link rel="hub" href="` + p + `hub"/><image><url>` + p + `image.png</url><title>i</title><link>` + p + `home</link></image>
<item><guid>refs-1</guid><link>` + p + `article</link><title>Feed content points back at its origin</title>
<description>` + html.EscapeString(`<p><img src="`+p+`img.png" srcset="`+p+`img2.png 2x"><a href="`+p+`a">link</a><iframe src="`+p+`frame"></iframe><video poster="`+p+`poster.png" src="`+p+`video"></video></p>`) + `</description>
<enclosure url="` + p + `enclosure.mp3" length="1" type="audio/mpeg"/><comments>` + p + `comments</comments><source url="` + p + `source">s</source>
<media:content url="` + p + `media.jpg" medium="image"/><media:thumbnail url="` + p + `thumb.jpg"/></item>
</channel></rss>`
}

// legacy is an RSS document with title and description in an 8-bit
// charset; decl is its XML declaration ("" for none).
func legacy(enc *charmap.Charmap, decl, name, title, desc string) []byte {
	doc := decl + `<rss version="2.0"><channel><title>` + name + `</title><link>https://` + name + `.example/</link><description>d</description>` +
		`<item><guid>` + name + `-1</guid><link>https://` + name + `.example/1</link><title>` + title + `</title><description>` + desc + `</description></item></channel></rss>`
	b, err := enc.NewEncoder().Bytes([]byte(doc))
	if err != nil {
		panic(err)
	}
	return b
}

// datedItem writes an item whose pubDate is the raw string date ("" for none).
func datedItem(name, title, date string) string {
	d := ""
	if date != "" {
		d = "<pubDate>" + date + "</pubDate>"
	}
	return fmt.Sprintf("<item><guid>%s-%s</guid><link>https://%s.example/%s</link><title>%s</title>%s</item>",
		name, strings.ReplaceAll(title, " ", "-"), name, strings.ReplaceAll(title, " ", "-"), title, d)
}

// rawRSS frames raw item XML.
func rawRSS(name string, itemsXML ...string) string {
	return fmt.Sprintf(rssHead, name, name) + strings.Join(itemsXML, "\n") + rssTail
}
