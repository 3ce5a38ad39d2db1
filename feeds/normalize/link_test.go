package normalize_test

import (
	"strings"
	"testing"

	"github.com/feedloom/feedloom/feeds/normalize"
)

func TestLink(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", "https://example.com/a/b", "https://example.com/a/b"},
		{"upper scheme and host", "HTTPS://Example.COM/Path", "https://example.com/Path"},
		{"empty path", "https://example.com", "https://example.com/"},
		{"http default port", "http://example.com:80/x", "http://example.com/x"},
		{"https default port", "https://example.com:443/x", "https://example.com/x"},
		{"other port kept", "https://example.com:8443/x", "https://example.com:8443/x"},
		{"http port 443 kept", "http://example.com:443/x", "http://example.com:443/x"},
		{"empty port", "http://example.com:/x", "http://example.com/x"},
		{"fragment dropped", "https://example.com/a#section-2", "https://example.com/a"},
		{"hashbang kept", "https://example.com/#!/post/1", "https://example.com/#!/post/1"},
		{"utm dropped", "https://example.com/a?utm_source=rss&utm_medium=feed", "https://example.com/a"},
		{"utm any case", "https://example.com/a?UTM_Campaign=x&id=3", "https://example.com/a?id=3"},
		{"click ids dropped", "https://example.com/a?fbclid=1&gclid=2&dclid=3&msclkid=4&yclid=5&igshid=6", "https://example.com/a"},
		{"mail and hubspot", "https://example.com/a?mc_cid=1&mc_eid=2&_hsenc=3&_hsmi=4&mkt_tok=5&ref_src=6", "https://example.com/a"},
		{"order kept", "https://example.com/a?b=2&utm_term=x&a=1&c=3", "https://example.com/a?b=2&a=1&c=3"},
		{"empty pairs", "https://example.com/a?&&x=1&&", "https://example.com/a?x=1"},
		{"empty query", "https://example.com/a?", "https://example.com/a"},
		{"encoded key", "https://example.com/a?utm%5Fsource=x&q=a%20b", "https://example.com/a?q=a%20b"},
		{"raw space in query escaped", "https://example.com/a?q=a b&r=ü", "https://example.com/a?q=a%20b&r=%C3%BC"},
		{"ref kept", "https://example.com/a?ref=home", "https://example.com/a?ref=home"},
		{"dot segments", "https://example.com/a/./b/../c", "https://example.com/a/c"},
		{"dot segments trailing slash", "https://example.com/a/b/../", "https://example.com/a/"},
		{"dots above root", "https://example.com/../../x", "https://example.com/x"},
		{"dotfile kept", "https://example.com/.well-known/x", "https://example.com/.well-known/x"},
		{"user info dropped", "https://user:pw@example.com/x", "https://example.com/x"},
		{"idn to ascii", "https://Bücher.de/x", "https://xn--bcher-kva.de/x"},
		{"punycode kept", "https://xn--bcher-kva.de/x", "https://xn--bcher-kva.de/x"},
		{"ipv6", "http://[::1]:80/x", "http://[::1]/x"},
		{"non-ascii path escaped", "https://example.com/ä", "https://example.com/%C3%A4"},
		{"spaces around", "  https://example.com/x \n", "https://example.com/x"},
		{"javascript", "javascript:alert(1)", ""},
		{"javascript mixed case", "JaVaScRiPt:alert(1)", ""},
		{"data", "data:text/html,<script>alert(1)</script>", ""},
		{"mailto", "mailto:a@example.com", ""},
		{"ftp", "ftp://example.com/x", ""},
		{"relative", "/a/b", ""},
		{"protocol relative", "//example.com/a", ""},
		{"no host", "http:///x", ""},
		{"opaque", "http:example.com", ""},
		{"control char", "https://exa\x00mple.com/", ""},
		{"bad escape", "https://example.com/%zz", ""},
		{"empty", "", ""},
		{"too long", "https://example.com/" + strings.Repeat("a", normalize.MaxLinkBytes), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := normalize.Link(tt.in); got != tt.want {
				t.Errorf("Link(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if got := normalize.Link(tt.want); got != tt.want {
				t.Errorf("Link not idempotent: Link(%q) = %q", tt.want, got)
			}
		})
	}
}

func TestResolveLink(t *testing.T) {
	const base = "https://Example.com/news/2024/story.html?utm_source=x"
	tests := []struct{ name, in, base, want string }{
		{"relative path", "other.html?utm_medium=y", base, "https://example.com/news/2024/other.html"},
		{"root relative", "/about", base, "https://example.com/about"},
		{"parent", "../index.html", base, "https://example.com/news/index.html"},
		{"protocol relative", "//cdn.example.net/x", base, "https://cdn.example.net/x"},
		{"absolute ignores base", "http://other.org/x#y", base, "http://other.org/x"},
		{"query only", "?page=2", base, "https://example.com/news/2024/story.html?page=2"},
		{"javascript not rescued", "javascript:alert(1)", base, ""},
		{"bad base", "/x", "javascript:alert(1)", ""},
		{"relative base", "/x", "/news/", ""},
		{"no base", "x", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := normalize.ResolveLink(tt.in, tt.base); got != tt.want {
				t.Errorf("ResolveLink(%q, %q) = %q, want %q", tt.in, tt.base, got, tt.want)
			}
		})
	}
}
