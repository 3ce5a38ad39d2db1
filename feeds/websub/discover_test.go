package websub_test

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha512"
	"encoding/hex"
	"hash"
	"testing"

	"github.com/feedloom/feedloom/feeds/websub"
)

func TestDiscover(t *testing.T) {
	const atom = `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>x</title>
<link rel="alternate" href="https://site.example/"/><link rel="hub" href="https://hub.example/"/>
<link rel="self" href="https://site.example/feed.atom"/><entry><link rel="hub" href="https://wrong.example/"/></entry></feed>`
	const rss = `<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>x</title>
<atom:link rel="self" href="https://site.example/rss" type="application/rss+xml"/><atom:link href="https://hub.example/rss" rel="hub"/>
<item><title>t</title></item></channel></rss>`
	const late = `<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel><item><title>t</title></item>
<atom:link rel="hub" href="https://hub.example/late"/></channel></rss>`
	for _, tt := range []struct {
		name      string
		headers   []string
		body      string
		hub, self string
	}{
		{"atom", nil, atom, "https://hub.example/", "https://site.example/feed.atom"},
		{"rss atom:link", nil, rss, "https://hub.example/rss", "https://site.example/rss"},
		{"headers win", []string{`<https://hub.example/h>; rel="hub", <https://site.example/h>; rel="self"`}, atom, "https://hub.example/h", "https://site.example/h"},
		{"header hub, body self", []string{`<https://hub.example/h>; rel=hub`}, atom, "https://hub.example/h", "https://site.example/feed.atom"},
		{"two header values", []string{`<https://site.example/s>; rel="self"`, `<https://hub.example/2>; rel="hub other"`}, "", "https://hub.example/2", "https://site.example/s"},
		{"other rels", []string{`<https://site.example/next>; rel="next"`}, "", "", ""},
		{"after the first item", nil, late, "", ""},
		{"json feed hubs are not read", nil, `{"version":"https://jsonfeed.org/version/1.1","hubs":[{"type":"WebSub","url":"https://hub.example/"}]}`, "", ""},
		{"not xml", []string{"garbage"}, "<<<>>>", "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			hub, self := websub.Discover(tt.headers, []byte(tt.body))
			if hub != tt.hub || self != tt.self {
				t.Errorf("Discover = %q, %q; want %q, %q", hub, self, tt.hub, tt.self)
			}
		})
	}
}

func TestVerify(t *testing.T) {
	secret, body := []byte("k"), []byte("<feed/>")
	mac := func(h func() hash.Hash) string {
		m := hmac.New(h, secret)
		m.Write(body)
		return hex.EncodeToString(m.Sum(nil))
	}
	for _, tt := range []struct {
		name, sig string
		ok        bool
	}{
		{"sha256", websub.Sign(secret, body), true},
		{"sha1", "sha1=" + mac(sha1.New), true},
		{"sha512", "sha512=" + mac(sha512.New), true},
		{"upper-case method", "SHA1=" + mac(sha1.New), true},
		{"wrong secret", websub.Sign([]byte("x"), body), false},
		{"other body", websub.Sign(secret, []byte("<feed></feed>")), false},
		{"missing", "", false},
		{"no method", mac(sha1.New), false},
		{"unknown method", "md5=" + mac(sha1.New), false},
		{"not hex", "sha256=zz", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := websub.Verify(secret, tt.sig, body); got != tt.ok {
				t.Errorf("Verify(%q) = %v", tt.sig, got)
			}
		})
	}
}
