package normalize

import (
	"net/url"
	"regexp"

	"github.com/microcosm-cc/bluemonday"
)

// dataImage matches the data: URLs allowed as img src: base64 raster images.
// SVG is not among them (it can carry script); a raster image in a data: URL
// executes nothing and is not fetched from anywhere, which is also why it is
// allowed at all (feeds embed small images, e.g. formulas, that way).
var dataImage = regexp.MustCompile(`^image/(png|jpeg|gif|webp);base64,`)

// attrRule allows attributes on some elements (on every element when on is
// nil), their values restricted to match when match is set.
type attrRule struct {
	attrs []string
	on    []string
	match *regexp.Regexp
}

// attrRules are the attributes the policy keeps. newPolicy hands them to
// the sanitiser and the direct path (direct.go) applies the same rules, so
// the two cannot disagree about an attribute.
var attrRules = []attrRule{
	{attrs: []string{"href", "title"}, on: []string{"a"}},
	{attrs: []string{"src", "alt", "title"}, on: []string{"img"}},
	{attrs: []string{"width", "height"}, on: []string{"img"}, match: regexp.MustCompile(`^[0-9]{1,5}$`)},
	{attrs: []string{"title"}, on: []string{"abbr"}},
	{attrs: []string{"datetime"}, on: []string{"time", "del", "ins"}, match: regexp.MustCompile(`^[0-9T:.+\- Z]{1,40}$`)},
	{attrs: []string{"colspan", "rowspan"}, on: []string{"td", "th"}, match: regexp.MustCompile(`^[0-9]{1,3}$`)},
	{attrs: []string{"scope"}, on: []string{"th"}, match: regexp.MustCompile(`^(row|col|rowgroup|colgroup)$`)},
	{attrs: []string{"start"}, on: []string{"ol"}, match: regexp.MustCompile(`^-?[0-9]{1,6}$`)},
	{attrs: []string{"value"}, on: []string{"li"}, match: regexp.MustCompile(`^-?[0-9]{1,6}$`)},
	{attrs: []string{"dir"}, match: regexp.MustCompile(`^(ltr|rtl|auto)$`)},
	{attrs: []string{"lang"}, match: regexp.MustCompile(`^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8}){0,4}$`)},
}

// urlSchemes are the schemes href and src may have besides data: (which
// only dataImageURL lets through); relative URLs are allowed too.
var urlSchemes = []string{"http", "https", "mailto"}

// dataImageURL reports whether a data: URL is a raster image (dataImage).
func dataImageURL(u *url.URL) bool {
	return u.RawQuery == "" && u.Fragment == "" && dataImage.MatchString(u.Opaque)
}

// skipContent are elements whose text is dropped with them, not only their
// tags: it is not prose.
var skipContent = []string{"svg", "math", "template", "select", "textarea", "head", "button", "datalist", "option"}

// newPolicy builds the sanitiser: ordinary article markup, nothing that runs,
// styles, embeds or submits. URL attributes must parse and be relative,
// http, https, mailto, or (checked again per element in finish) a data: image.
func newPolicy() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements(elements...)
	p.AllowElements(voidElements...)
	for _, r := range attrRules {
		b := p.AllowAttrs(r.attrs...)
		if r.match != nil {
			b.Matching(r.match)
		}
		if r.on == nil {
			b.Globally()
		} else {
			b.OnElements(r.on...)
		}
	}
	p.RequireParseableURLs(true)
	p.AllowRelativeURLs(true)
	p.AllowURLSchemes(urlSchemes...)
	p.AllowURLSchemeWithCustomPolicy("data", dataImageURL)
	p.SkipElementsContent(skipContent...)
	return p
}
