package normalize

import (
	"github.com/feedloom/feedloom/feeds/normalize/internal/fastsan"
	"github.com/microcosm-cc/bluemonday"
)

// newPolicy builds the sanitiser: ordinary article markup, nothing that runs,
// styles, embeds or submits. URL attributes must parse and be relative,
// http, https, mailto, or (checked again per element in fastsan.Finish) a
// data: image. The elements and attributes are fastsan's tables, the very
// ones its fast path applies.
func newPolicy() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements(fastsan.Elements...)
	p.AllowElements(fastsan.VoidElements...)
	for _, r := range fastsan.AttrRules {
		b := p.AllowAttrs(r.Attrs...)
		if r.Match != nil {
			b.Matching(r.Match)
		}
		if r.On == nil {
			b.Globally()
		} else {
			b.OnElements(r.On...)
		}
	}
	p.RequireParseableURLs(true)
	p.AllowRelativeURLs(true)
	p.AllowURLSchemes(fastsan.URLSchemes...)
	p.AllowURLSchemeWithCustomPolicy("data", fastsan.DataImageURL)
	p.SkipElementsContent(fastsan.SkipContent...)
	return p
}
