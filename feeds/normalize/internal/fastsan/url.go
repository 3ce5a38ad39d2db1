package fastsan

import (
	"net/url"
	"strings"
)

// linkRel is the rel every kept link gets: no ranking credit, no window.opener,
// no Referer to the linked site.
const linkRel = "nofollow noopener noreferrer"

// resolveURL resolves v against base and checks its scheme: http and https
// everywhere, mailto for links, data: raster images for images.
func resolveURL(v string, base Resolver, img bool) (string, bool) {
	u, err := url.Parse(strings.TrimSpace(v))
	if err != nil {
		return "", false
	}
	return resolveParsed(u, "", base, img)
}

// resolveParsed is resolveURL of a parsed URL; s is u.String() when the
// caller has it already, else "".
func resolveParsed(u *url.URL, s string, base Resolver, img bool) (string, bool) {
	if !u.IsAbs() {
		b := base.Base()
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
