package fastsan

import (
	"net/url"
	"testing"
)

// plainURLCases are values of href and src, with whether plainAbsURL takes
// them (the rest go through parsedURL).
var plainURLCases = []struct {
	v     string
	plain bool
}{
	{"https://example.com", true},
	{"http://example.com/", true},
	{"https://ref.example.org/oil/1", true},
	{"https://img.example.net/1.jpg", true},
	{"https://Example.COM:8443/a/b.c~d_e-f?x=1&y=2;z=3+4,5#top", true},
	{"https://h/p:q@r$s?a=/b?c@d:e#f/g?h:i@j", true},
	{"https://h//double//slash/", true},
	{"http://h/.././x", true},
	{"https://h/p?", true},
	{"https://h/p#", false},         // String drops an empty fragment
	{"https://h/p#a#b", false},      // a second '#' is escaped
	{"HTTPS://h/p", false},          // the scheme comes back lower case
	{"https:/h/p", false},           // no authority
	{"https:///p", false},           // no host
	{"https://:80/p", false},        // no host
	{"https://h:/p", false},         // empty port
	{"https://h:x/p", false},        // bad port
	{"https://u@h/p", false},        // user info
	{"https://h_x/p", false},        // '_' in the host
	{"https://[::1]/p", false},      // IP literal
	{"https://h/a%20b", false},      // escapes
	{"https://h/a b", false},        // white space
	{" https://h/p", false},         // trimmed by the sanitiser
	{"https://h/p!*'()", false},     // escaped in a path by String
	{"https://h/ü", false},          // non-ASCII
	{"https://h/p\x7f", false},      // control byte
	{"https://h\\p", false},         // backslash
	{"mailto:a@example.com", false}, // not http(s)
	{"/relative/path", false},
	{"//example.com/p", false},
	{"", false},
}

// TestPlainAbsURL: every URL plainAbsURL takes is one parsedURL keeps
// exactly as it is, as an image source and as a link, with and without a
// base; and plainAbsURL takes the common shapes.
func TestPlainAbsURL(t *testing.T) {
	for _, c := range plainURLCases {
		if got := plainAbsURL([]byte(c.v)); got != c.plain {
			t.Errorf("plainAbsURL(%q) = %v, want %v", c.v, got, c.plain)
		}
		checkPlainURL(t, c.v)
	}
}

// checkPlainURL fails when plainAbsURL takes v but parsedURL would not
// return v itself, kept.
func checkPlainURL(t *testing.T, v string) {
	t.Helper()
	if !plainAbsURL([]byte(v)) {
		return
	}
	for _, base := range []string{"", "https://example.com/news/a.html"} {
		for _, img := range []bool{false, true} {
			got, fate := parsedURL([]byte(v), baseOf(base), img)
			if got != v || fate != urlKept {
				t.Errorf("plainAbsURL takes %q, parsedURL(img %v, base %q) = %q, %d", v, img, base, got, fate)
			}
		}
	}
}

func FuzzPlainAbsURL(f *testing.F) {
	for _, c := range plainURLCases {
		f.Add(c.v)
	}
	f.Fuzz(func(t *testing.T, v string) { checkPlainURL(t, v) })
}

// baseOf is a Base for tests: raw parsed, nil when it is not an absolute
// http(s) URL.
func baseOf(raw string) *Base {
	return &Base{Raw: raw, Parse: func(raw string) *url.URL {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil
		}
		return u
	}}
}
