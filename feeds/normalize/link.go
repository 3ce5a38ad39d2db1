package normalize

import (
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// idnaProfile maps internationalised host names to their ASCII (xn--) form.
// Not idna.Lookup: that one rejects '_' in labels, which real hosts use.
var idnaProfile = idna.New(idna.MapForLookup(), idna.Transitional(false), idna.StrictDomainName(false))

// MaxLinkBytes is the longest link kept. Longer ones are almost always
// generated garbage (or an attempt to bloat the store) and become "".
const MaxLinkBytes = 8 << 10

// trackingParams are query parameters that identify a campaign, a click or a
// mail recipient, never the resource. They are removed so that the same story
// reached through different newsletters and social posts has one canonical
// link. Compared case-insensitively. Keys starting with one of
// trackingPrefixes are removed too.
var trackingParams = map[string]bool{
	// Google Ads / Analytics
	"gclid": true, "gclsrc": true, "dclid": true, "gbraid": true, "wbraid": true,
	"_ga": true, "_gl": true, "srsltid": true,
	// Meta, Microsoft, Yandex, TikTok, Twitter/X, LinkedIn, Instagram
	"fbclid": true, "msclkid": true, "yclid": true, "ysclid": true, "ttclid": true,
	"twclid": true, "li_fat_id": true, "igshid": true, "igsh": true,
	"ref_src": true, "ref_url": true,
	// Mailchimp, HubSpot, Marketo, Drip, Vero, Openstat, Olytics
	"mc_cid": true, "mc_eid": true,
	"_hsenc": true, "_hsmi": true, "__hssc": true, "__hstc": true, "__hsfp": true, "hsctatrack": true,
	"mkt_tok": true, "__s": true, "vero_id": true, "vero_conv": true, "_openstat": true,
	"oly_anon_id": true, "oly_enc_id": true, "rb_clickid": true, "wickedid": true,
	// Matomo / Piwik campaign parameters
	"pk_campaign": true, "pk_kwd": true, "pk_keyword": true, "pk_source": true,
	"pk_medium": true, "pk_content": true, "pk_cid": true,
	// Publishers' own campaign and share parameters: Microsoft Start/MSN,
	// CNN, The New York Times, The Guardian, Reuters (trueAnthem), The
	// Washington Post, AT Internet, comScore, Yahoo's consent redirect, …
	"ocid": true, "cvid": true, "cmpid": true, "cmp": true, "intcmp": true, "int_cmp": true,
	"smid": true, "smtyp": true, "partner": true, "emc": true, "referringsource": true,
	"taid": true, "itid": true, "ito": true, "ncid": true, "soc_src": true, "soc_trk": true,
	"mbid": true, "xtor": true, "ftag": true, "sr_share": true, "user_email": true,
	"guccounter": true, "guce_referrer": true, "guce_referrer_sig": true, "wt.mc_id": true,
	"s_cid": true, "ex_cid": true, "share": true, "dicbo": true, "sc_cid": true,
}

// sourceParams are parameters that name content on some sites and a feed
// or share campaign on others: they are tracking only when their value
// names a channel (src=rss, ref=rss, cid=rss_nn, from=newsletter).
var sourceParams = map[string]bool{"src": true, "ref": true, "source": true, "from": true, "cid": true, "via": true, "feed": true}

// channelValues are how sourceParams' values start when they name a channel.
var channelValues = []string{"rss", "feed", "atom", "newsletter", "twitter", "facebook", "social", "share", "email", "push"}

// isChannel reports whether a sourceParams value names a channel.
func isChannel(v string) bool {
	v = strings.ToLower(v)
	for _, c := range channelValues {
		if strings.HasPrefix(v, c) {
			return true
		}
	}
	return false
}

// trackingPrefixes are prefixes of tracking parameter names (utm_source,
// utm_medium, …, Matomo's mtm_*, AT Internet's at_* and comScore's ns_*),
// compared case-insensitively.
var trackingPrefixes = []string{"utm_", "mtm_", "at_", "ns_"}

// isTracking reports whether the (unescaped) query key, with its raw
// value, is a tracking parameter.
func isTracking(key, value string) bool {
	k := strings.ToLower(key)
	if trackingParams[k] || sourceParams[k] && isChannel(value) {
		return true
	}
	for _, p := range trackingPrefixes {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}

// Link returns the canonical form of an absolute http or https URL, the form
// links are deduplicated by: scheme and host lower-cased, the default port,
// user info, tracking parameters and the fragment dropped (except "#!" and
// "#/" fragments, which single-page sites use to name the article), the
// remaining query parameters kept in their order, dot segments removed, an
// empty path written as "/" and an internationalised host in its ASCII
// (xn--) form. Anything that is not an absolute http(s) URL
// (relative references, javascript:, data:, mailto:, unparseable text)
// gives "".
func Link(raw string) string {
	raw = strings.TrimSpace(raw)
	if raw == "" || len(raw) > MaxLinkBytes {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return canonical(u)
}

// ResolveLink is Link for a reference that may be relative: raw is resolved
// against base (an absolute http(s) URL, such as the feed's URL or the
// item's link) first. Absolute raw links ignore base; a relative raw with an
// unusable base gives "".
func ResolveLink(raw, base string) string {
	raw = strings.TrimSpace(raw)
	if raw == "" || len(raw) > MaxLinkBytes {
		return ""
	}
	ref, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	if ref.IsAbs() {
		return canonical(ref)
	}
	b := baseURL(base)
	if b == nil {
		return ""
	}
	return canonical(b.ResolveReference(ref))
}

// baseURL parses base and returns it when it is an absolute http(s) URL
// with a host, else nil.
func baseURL(base string) *url.URL {
	base = strings.TrimSpace(base)
	if base == "" || len(base) > MaxLinkBytes {
		return nil
	}
	b, err := url.Parse(base)
	if err != nil || (b.Scheme != "http" && b.Scheme != "https") || b.Host == "" {
		return nil
	}
	return b
}

// canonical does Link's work on a parsed URL.
func canonical(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return ""
	}
	if u.Opaque != "" || u.Host == "" {
		return ""
	}
	host := strings.ToLower(u.Hostname())
	if host == "" {
		return ""
	}
	if !isASCII(host) {
		// One spelling per host, so that "bücher.de" and "xn--bcher-kva.de"
		// dedupe; ASCII is also what every feed reader can put in a URI.
		a, err := idnaProfile.ToASCII(host)
		if err != nil || a == "" || !hostChars(a) {
			return "" // e.g. "΅" maps to " ́": a space is no host
		}
		host = a
	}
	port := u.Port()
	if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		port = ""
	}
	if strings.Contains(host, ":") { // IPv6 literal
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	c := &url.URL{Scheme: scheme, Host: host, Path: u.Path, RawPath: u.RawPath}
	// Remove dot segments: resolving an empty-scheme-less reference carrying
	// the path against itself runs RFC 3986 remove_dot_segments.
	if strings.Contains(c.Path, ".") {
		c = c.ResolveReference(&url.URL{Scheme: scheme, Host: host, Path: u.Path, RawPath: u.RawPath})
	}
	if c.Path == "" {
		c.Path, c.RawPath = "/", ""
	}
	c.RawQuery = cleanQuery(u.RawQuery)
	if f := u.EscapedFragment(); strings.HasPrefix(f, "!") || strings.HasPrefix(f, "/") {
		c.Fragment, c.RawFragment = u.Fragment, u.RawFragment
	}
	s := c.String()
	if len(s) > MaxLinkBytes {
		return ""
	}
	return s
}

// isASCII reports whether s has only ASCII bytes.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// cleanQuery drops tracking parameters and empty pairs from a raw query,
// keeping the others in order, byte for byte but for characters a URI may
// not hold raw (spaces, controls, non-ASCII, quotes, …), which are
// percent-encoded.
func cleanQuery(raw string) string {
	if raw == "" {
		return ""
	}
	var b strings.Builder
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" {
			continue
		}
		key, value, _ := strings.Cut(part, "=")
		if k, err := url.QueryUnescape(key); err == nil {
			key = k
		}
		if isTracking(key, value) {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		for i := 0; i < len(part); i++ {
			// Escape what a URI may not hold raw, so that the canonical
			// form is one string whatever the feed wrote.
			if c := part[i]; c <= ' ' || c >= 0x7f || strings.IndexByte("\"<>\\^`{|}", c) >= 0 {
				b.WriteString(fmt.Sprintf("%%%02X", c))
				continue
			}
			b.WriteByte(part[i])
		}
	}
	return b.String()
}

// hostChars reports whether an ASCII host name holds only what a registered
// name may (letters, digits, '-', '.', and the '_' real hosts use), so that
// its canonical link parses back to itself.
func hostChars(h string) bool {
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_') {
			return false
		}
	}
	return true
}
