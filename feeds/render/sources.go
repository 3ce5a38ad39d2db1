package render

import (
	"html/template"
	"strconv"
	"strings"

	"github.com/feedloom/feedloom/feeds"
)

// sourceRows writes the rows of the /sources table in Go rather than with
// a template range: html/template costs about 12 µs a row (a reflective
// call and an escaper for each of the row's fifteen values), 120 ms at
// 10,000 sources, which would make the page slower to render than a feed
// reader takes to give up. The rows are the ones sources.html used to
// write, byte for byte, escaped as html/template escapes them: text and
// quoted attribute values with htmlText, href values normalised with
// urlText first (TestSourceRowsMatchTemplate holds the two together).
func sourceRows(s Site, states []feeds.SourceState) (rows template.HTML, failing int) {
	var b strings.Builder
	b.Grow(len(states) * 640)
	for _, st := range states {
		r := sourceRow(s, st)
		if r.Bad {
			failing++
		}
		writeRow(&b, r)
	}
	return template.HTML(b.String()), failing //nolint:gosec // every value is escaped above
}

// writeRow writes one <tr> of the sources table, starting with a newline.
func writeRow(b *strings.Builder, r row) {
	b.WriteString("\n<tr id=\"")
	htmlText(b, r.Name)
	b.WriteString("\">\n<td class=\"src\" data-label=\"Source\"><strong dir=\"auto\">")
	htmlText(b, r.Title)
	b.WriteString("</strong><br><span class=\"meta\">")
	htmlText(b, r.Name)
	b.WriteString("</span></td>\n<td class=\"url\" data-label=\"Feed\">")
	if r.Link != "" {
		b.WriteString("<a href=\"")
		htmlText(b, urlText(r.Link))
		b.WriteString("\">")
		htmlText(b, r.URL)
		b.WriteString("</a>")
	} else {
		htmlText(b, r.URL)
	}
	b.WriteString("</td>\n<td data-label=\"Last fetch\">")
	writeStamp(b, r.LastFetch, "never")
	b.WriteString("</td>\n<td data-label=\"Status\"><span class=\"")
	htmlText(b, r.State)
	b.WriteString("\">")
	htmlText(b, r.Status)
	b.WriteString("</span></td>\n<td class=\"err\" data-label=\"Error\">")
	htmlText(b, r.Error)
	b.WriteString("</td>\n<td data-label=\"Next attempt\">")
	writeStamp(b, r.Next, "—")
	b.WriteString("</td>\n<td class=\"num\" data-label=\"Articles\">")
	b.WriteString(strconv.Itoa(r.Count))
	b.WriteString("</td>\n</tr>")
}

// writeStamp writes a <time> element, or none when the time is zero.
func writeStamp(b *strings.Builder, st stamp, none string) {
	if st.ISO == "" {
		b.WriteString(none)
		return
	}
	b.WriteString("<time datetime=\"")
	htmlText(b, st.ISO)
	b.WriteString("\">")
	htmlText(b, st.Human)
	b.WriteString("</time>")
}

// htmlText writes s escaped for HTML text or a quoted attribute value, as
// html/template does: the five markup characters and "+" as numeric or
// named references, NUL as U+FFFD.
func htmlText(b *strings.Builder, s string) {
	last := 0
	for i := 0; i < len(s); i++ {
		var rep string
		switch s[i] {
		case 0:
			rep = "\uFFFD"
		case '"':
			rep = "&#34;"
		case '&':
			rep = "&amp;"
		case '\'':
			rep = "&#39;"
		case '+':
			rep = "&#43;"
		case '<':
			rep = "&lt;"
		case '>':
			rep = "&gt;"
		default:
			continue
		}
		b.WriteString(s[last:i])
		b.WriteString(rep)
		last = i + 1
	}
	b.WriteString(s[last:])
}

// urlText percent-encodes the bytes of u that may not appear in a URL as
// they are (spaces, quotes, parentheses, controls, non-ASCII), keeping
// RFC 3986's reserved and unreserved characters and existing escapes, as
// html/template normalises an href. u has passed safeURL: its scheme is
// http or https.
func urlText(u string) string {
	const hex = "0123456789abcdef"
	var b []byte
	for i := 0; i < len(u); i++ {
		c := u[i]
		if urlKeep(c) {
			if b != nil {
				b = append(b, c)
			}
			continue
		}
		if b == nil {
			b = append(make([]byte, 0, len(u)+16), u[:i]...)
		}
		b = append(b, '%', hex[c>>4], hex[c&15])
	}
	if b == nil {
		return u
	}
	return string(b)
}

// urlKeep reports the bytes urlText leaves as they are.
func urlKeep(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("-._~!#$&*+,/:;=?@[]%", c) >= 0
}
