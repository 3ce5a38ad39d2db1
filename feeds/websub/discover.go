package websub

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/xml"
	"hash"
	"io"
	"strings"
)

// discoverBytes bounds how much of a feed Discover reads: hub links sit in
// the feed's head, before the entries.
const discoverBytes = 64 << 10

// Discover finds the hub and the self URL a feed advertises: HTTP Link
// headers first (the Recommendation prefers them), then the document's own
// <link rel="hub"> / <atom:link rel="hub"> (Atom, RSS) before its first
// entry or item. Either may be "".
func Discover(linkHeaders []string, body []byte) (hub, self string) {
	for _, v := range linkHeaders {
		for _, l := range parseLinkHeader(v) {
			if hub == "" && l.rels["hub"] {
				hub = l.url
			}
			if self == "" && l.rels["self"] {
				self = l.url
			}
		}
	}
	if hub != "" && self != "" {
		return hub, self
	}
	h, s := discoverInBody(body)
	if hub == "" {
		hub = h
	}
	if self == "" {
		self = s
	}
	return hub, self
}

// link is one link of a Link header.
type link struct {
	url  string
	rels map[string]bool
}

// parseLinkHeader reads the links of one Link header value (RFC 8288):
// `<url>; rel="a b", <url2>; rel=c`. Malformed parts are skipped.
func parseLinkHeader(v string) []link {
	var out []link
	for v != "" {
		start := strings.IndexByte(v, '<')
		end := strings.IndexByte(v, '>')
		if start < 0 || end < start {
			return out
		}
		l := link{url: strings.TrimSpace(v[start+1 : end]), rels: map[string]bool{}}
		v = v[end+1:]
		params := v
		if next := strings.IndexByte(v, '<'); next >= 0 {
			params, v = v[:next], v[next:]
		} else {
			v = ""
		}
		for p := range strings.SplitSeq(params, ";") {
			name, val, ok := strings.Cut(strings.TrimSpace(p), "=")
			if !ok || !strings.EqualFold(strings.TrimSpace(name), "rel") {
				continue
			}
			val = strings.Trim(strings.TrimSpace(strings.TrimRight(strings.TrimSpace(val), ",")), `"`)
			for r := range strings.FieldsSeq(val) {
				l.rels[strings.ToLower(r)] = true
			}
		}
		out = append(out, l)
	}
	return out
}

// discoverInBody reads the hub and self links of an Atom or RSS document's
// head. A JSON Feed's "hubs" are not read (yet): it returns "" for one
// unless the headers named the hub.
func discoverInBody(body []byte) (hub, self string) {
	d := xml.NewDecoder(io.LimitReader(bytes.NewReader(body), discoverBytes))
	d.Strict = false
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil } // only ASCII attributes matter
	for {
		tok, err := d.Token()
		if err != nil {
			return hub, self
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch strings.ToLower(se.Name.Local) {
		case "entry", "item":
			return hub, self
		case "link":
			var rel, href string
			for _, a := range se.Attr {
				switch strings.ToLower(a.Name.Local) {
				case "rel":
					rel = strings.ToLower(strings.TrimSpace(a.Value))
				case "href":
					href = strings.TrimSpace(a.Value)
				}
			}
			if href == "" {
				continue
			}
			if rel == "hub" && hub == "" {
				hub = href
			}
			if rel == "self" && self == "" {
				self = href
			}
		}
	}
}

// Verify reports whether an X-Hub-Signature value ("sha256=HEX", or sha1,
// sha384, sha512, as the Recommendation allows) is body's HMAC under secret.
func Verify(secret []byte, signature string, body []byte) bool {
	method, sig, ok := strings.Cut(strings.TrimSpace(signature), "=")
	if !ok {
		return false
	}
	var h func() hash.Hash
	switch strings.ToLower(method) {
	case "sha1":
		h = sha1.New
	case "sha256":
		h = sha256.New
	case "sha384":
		h = sha512.New384
	case "sha512":
		h = sha512.New
	default:
		return false
	}
	want, err := hex.DecodeString(sig)
	if err != nil {
		return false
	}
	m := hmac.New(h, secret)
	m.Write(body)
	return hmac.Equal(m.Sum(nil), want)
}
