package fastsan

import (
	"net/url"
	"strings"
)

// linkRel is the rel every kept link gets: no ranking credit, no window.opener,
// no Referer to the linked site.
const linkRel = "nofollow noopener noreferrer"

// Base is the base URL relative href and src values resolve against: Raw,
// parsed by Parse (nil: no usable base, and such URLs are dropped) on
// first use only, as most articles' URLs are absolute; the fields of one
// item can share it. A concrete type, not an interface, so that a caller's
// Base stays on its stack.
type Base struct {
	Raw   string
	Parse func(raw string) *url.URL

	url    *url.URL
	parsed bool
}

// URL returns the parsed base, or nil.
func (b *Base) URL() *url.URL {
	if !b.parsed {
		b.url, b.parsed = b.Parse(b.Raw), true
	}
	return b.url
}

// resolveURL resolves v against base and checks its scheme: http and https
// everywhere, mailto for links, data: raster images for images.
func resolveURL(v string, base *Base, img bool) (string, bool) {
	u, err := url.Parse(strings.TrimSpace(v))
	if err != nil {
		return "", false
	}
	return resolveParsed(u, "", base, img)
}

// resolveParsed is resolveURL of a parsed URL; s is u.String() when the
// caller has it already, else "".
func resolveParsed(u *url.URL, s string, base *Base, img bool) (string, bool) {
	if !u.IsAbs() {
		b := base.URL()
		if b == nil {
			return "", false
		}
		u, s = b.ResolveReference(u), ""
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		if u.Host == "" {
			return "", false
		}
	case "mailto":
		if img {
			return "", false
		}
	case "data":
		if !img || !dataImage.MatchString(u.Opaque) {
			return "", false
		}
	default:
		return "", false
	}
	if s == "" {
		s = u.String()
	}
	return s, true
}
