package samples

import (
	"math/rand/v2"
	"strings"
)

// Pieces of Markup: the tags, attributes and values the direct path
// treats apart, so that the fuzzers meet their combinations (content skipped
// inside anchors removed inside script …) far sooner than by mutating bytes.
var (
	markupTags = []string{"a", "a", "a", "img", "img", "p", "b", "li", "ul", "td", "table", "br", "hr", "abbr",
		"time", "ol", "th", "div", "span", "svg", "math", "iframe", "object", "title", "textarea", "script",
		"style", "noscript", "template", "xmp", "plaintext", "select", "option", "noembed", "frameset", "head", "x-y"}
	markupAttrs = []string{"href", "href", "src", "src", "title", "alt", "width", "height", "dir", "lang",
		"class", "style", "rel", "target", "datetime", "colspan", "scope", "start", "value", "onclick", "HREF", "data-x"}
	markupValues = []string{"", "/x", "x", "https://e.com/a?b=1&amp;c=2#d", " //cdn.e.com/i.png ", "javascript:alert(1)",
		"jav&#9;ascript:x", "mailto:a@b.c", "data:image/png;base64,AA==", "data:image/png;base64,A A", "data:text/html,x",
		"http://[::1", "%zz", "a b", "10", "99999", "100000", "rtl", "en-GB", "row", "-3", "2025-01-01T00:00Z",
		"&#1;", "&lt;script&gt;", `"`, "'", "é", "&nbsp;https://e.com/&nbsp;"}
	markupText = []string{"t", " ", "\n", "&amp;", "&#0;", "&#1;", "a < b", "</", "<!-- c -->", "<!--", "<!DOCTYPE x>",
		"<?pi?>", "<![CDATA[x]]>", "&lt;b&gt;", "é", "</>", "</ x>", "&", "&#x80;"}
)

// Markup builds a document of up to n tokens from the pieces above,
// the same for the same seed.
func Markup(seed uint64, n int) string {
	r := rand.New(rand.NewPCG(seed, seed>>32|1))
	pick := func(ss []string) string { return ss[r.IntN(len(ss))] }
	var b strings.Builder
	for range n {
		switch r.IntN(10) {
		case 0, 1, 2:
			b.WriteString(pick(markupText))
		case 3, 4, 5:
			tag := pick(markupTags)
			if r.IntN(4) == 0 {
				tag = strings.ToUpper(tag)
			}
			b.WriteString("<" + tag)
			for k := r.IntN(4); k > 0; k-- {
				switch r.IntN(4) {
				case 0:
					b.WriteString(" " + pick(markupAttrs))
				case 1:
					b.WriteString(" " + pick(markupAttrs) + "=" + strings.ReplaceAll(pick(markupValues), " ", ""))
				default:
					b.WriteString(" " + pick(markupAttrs) + `="` + strings.ReplaceAll(pick(markupValues), `"`, "&quot;") + `"`)
				}
			}
			if r.IntN(5) == 0 {
				b.WriteString("/")
			}
			b.WriteString(">")
		default:
			b.WriteString("</" + pick(markupTags) + ">")
		}
	}
	return b.String()
}
