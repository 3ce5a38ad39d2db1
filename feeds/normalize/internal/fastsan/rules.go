package fastsan

import (
	"net/url"
	"regexp"
)

// The markup the policy allows. feeds/normalize builds its bluemonday
// policy from these tables and the fast path applies the same ones, so the
// two cannot disagree about an element or an attribute; the fast path
// relies on them as they are (finish's close rules name their elements),
// so they live here and are read-only.

// Elements are the non-void elements the policy allows, VoidElements the
// void ones, which finish writes as "<x/>" and never pushes on its stack of
// open elements. Together they are indexed (voids last) so that sets of
// them fit in a uint64.
var (
	Elements = []string{
		"a", "p", "ul", "ol", "li", "dl", "dt", "dd",
		"figure", "figcaption", "blockquote", "pre", "code", "kbd", "samp", "var",
		"em", "strong", "b", "i", "u", "s", "del", "ins", "mark", "small", "sub", "sup",
		"h1", "h2", "h3", "h4", "h5", "h6",
		"table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td",
		"abbr", "cite", "q", "time",
	}
	VoidElements = []string{"br", "hr", "img"}
)

// dataImage matches the data: URLs allowed as img src: base64 raster images.
// SVG is not among them (it can carry script); a raster image in a data: URL
// executes nothing and is not fetched from anywhere, which is also why it is
// allowed at all (feeds embed small images, e.g. formulas, that way).
var dataImage = regexp.MustCompile(`^image/(png|jpeg|gif|webp);base64,`)

// AttrRule allows attributes on some elements (on every element when On is
// nil), their values restricted to match Match when it is set.
type AttrRule struct {
	Attrs []string
	On    []string
	Match *regexp.Regexp
}

// AttrRules are the attributes the policy keeps (href and src besides,
// under URLSchemes).
var AttrRules = []AttrRule{
	{Attrs: []string{"href", "title"}, On: []string{"a"}},
	{Attrs: []string{"src", "alt", "title"}, On: []string{"img"}},
	{Attrs: []string{"width", "height"}, On: []string{"img"}, Match: regexp.MustCompile(`^[0-9]{1,5}$`)},
	{Attrs: []string{"title"}, On: []string{"abbr"}},
	{Attrs: []string{"datetime"}, On: []string{"time", "del", "ins"}, Match: regexp.MustCompile(`^[0-9T:.+\- Z]{1,40}$`)},
	{Attrs: []string{"colspan", "rowspan"}, On: []string{"td", "th"}, Match: regexp.MustCompile(`^[0-9]{1,3}$`)},
	{Attrs: []string{"scope"}, On: []string{"th"}, Match: regexp.MustCompile(`^(row|col|rowgroup|colgroup)$`)},
	{Attrs: []string{"start"}, On: []string{"ol"}, Match: regexp.MustCompile(`^-?[0-9]{1,6}$`)},
	{Attrs: []string{"value"}, On: []string{"li"}, Match: regexp.MustCompile(`^-?[0-9]{1,6}$`)},
	{Attrs: []string{"dir"}, Match: regexp.MustCompile(`^(ltr|rtl|auto)$`)},
	{Attrs: []string{"lang"}, Match: regexp.MustCompile(`^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8}){0,4}$`)},
}

// URLSchemes are the schemes href and src may have besides data: (which
// only DataImageURL lets through); relative URLs are allowed too.
var URLSchemes = []string{"http", "https", "mailto"}

// DataImageURL reports whether a data: URL is a raster image: the policy's
// check of data: URLs.
func DataImageURL(u *url.URL) bool {
	return u.RawQuery == "" && u.Fragment == "" && dataImage.MatchString(u.Opaque)
}

// SkipContent are elements whose text is dropped with them, not only their
// tags: it is not prose.
var SkipContent = []string{"svg", "math", "template", "select", "textarea", "head", "button", "datalist", "option"}
