package fastsan

import (
	"bytes"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// The direct path: finish run on the raw input, doing the sanitiser's work
// itself. It saves the sanitiser's own pass (tokenizing, building a Token
// with strings for every tag and attribute, writing it all out again),
// which costs about twice what finish does.
//
// Why it writes what the sanitiser followed by finish would, byte for byte.
// The sanitiser (bluemonday's sanitize, ProvenBluemonday, under the policy
// feeds/normalize builds from rules.go) reads the same tokens, from the same
// tokenizer, that finish reads from the raw input: raw text (script,
// textarea, xmp, plaintext …) and malformed markup come out of both alike.
// What it writes of each token depends on the token and on the little state
// sanitiser below mirrors, and what it writes finish reads back as the same
// tokens, less what it dropped: it escapes all text and attribute values,
// which the tokenizer decodes back to what they were, and writes no element
// the tokenizer reads raw text after.
// Of each token it:
//
//   - writes text escaped, which finish's tokenizer decodes to the same
//     text (text on both sides of a dropped tag then arrives as one token
//     instead of two, which finish writes, and cuts at the cap, alike),
//     unless inside an element whose content it skips or after a script
//     or style start tag;
//   - drops comments, doctypes and processing instructions, as finish does;
//   - drops the tags of elements it does not allow, as finish does with tags
//     it does not know, counting those whose content it skips;
//   - writes a start tag of an allowed element, unless skipping, with the
//     attributes keepAttr keeps (AttrRules, the very rules the policy is
//     built from), an href or src replaced by what its URL check returns
//     (directURL), escaped: finish reads back exactly those names and
//     values. An a or img left with no attribute it removes, and the end
//     tag that next closes one removed;
//   - writes end tags of allowed elements, unless skipping.
//
// So the direct path writes nothing the sanitiser would not let through:
// only elements of tagID, only attributes keepAttr allows, URLs only when
// both the sanitiser's check and finish's accept them. What it does not
// reproduce (data: URLs with white space, which the sanitiser rewrites) it
// declines, and feeds/normalize runs the sanitiser and Finish after all.
// Its differential tests (feeds/normalize/differential_test.go,
// direct_test.go) hold both paths to the same output on fuzzed and real
// input, and check what this relies on of bluemonday: an upgrade of it
// must pass them, or the direct path must change with it.

// skipsContent are the elements whose content the sanitiser drops with
// their tags: bluemonday's defaults and SkipContent.
var skipsContent = func() map[string]bool {
	m := map[string]bool{}
	for _, e := range [][]string{
		{"frame", "frameset", "iframe", "noembed", "noframes", "noscript", "nostyle", "object", "script", "style", "title"},
		SkipContent,
	} {
		for _, name := range e {
			m[name] = true
		}
	}
	return m
}()

// sanitiser is the state bluemonday's sanitize keeps from token to token,
// under the policy, as far as it decides what the sanitiser writes.
type sanitiser struct {
	// skipping and depth are its skipElementContent and
	// skippingElementsCount: inside an element of skipsContent it writes
	// nothing. An end tag alone lowers the count, even below zero, and
	// only a count back at zero ends the skipping.
	skipping bool
	depth    int64
	// quiet is its mostRecentlyStartedToken when that is script or style,
	// whose text it does not write.
	quiet string
	// unclosed is its closingTagToSkipStack: a and img start tags it
	// removed for want of attributes, whose end tags it removes too.
	unclosed []uint8
}

// text reports whether the sanitiser writes the current text token.
func (s *sanitiser) text() bool { return !s.skipping && s.quiet == "" }

// start records a start tag (startTag false: self-closing) of element name
// and reports whether it is one the sanitiser may write, known (in tagID);
// its attributes and skipping then decide whether it does.
func (s *sanitiser) start(name []byte, known, startTag bool) bool {
	if startTag {
		switch string(name) {
		case "script":
			s.quiet = "script"
		case "style":
			s.quiet = "style"
		default:
			s.quiet = ""
		}
	}
	if known {
		return true
	}
	switch string(name) {
	case "script", "style":
		return false // dropped before anything else is looked at
	}
	if startTag && skipsContent[string(name)] {
		s.skipping = true
		s.depth++
	}
	return false
}

// end records an end tag of element name (id when known) and reports
// whether the sanitiser writes it.
func (s *sanitiser) end(name []byte, id uint8, known bool) bool {
	if string(name) == s.quiet {
		s.quiet = ""
	}
	switch string(name) {
	case "script", "style":
		return false
	}
	if k := len(s.unclosed) - 1; k >= 0 && known && s.unclosed[k] == id {
		s.unclosed = s.unclosed[:k]
		return false
	}
	if !known {
		if skipsContent[string(name)] {
			if s.depth--; s.depth == 0 {
				s.skipping = false
			}
		}
		return false
	}
	return !s.skipping
}

// Element ids finish and the direct path treat apart.
var (
	idA   = tagID["a"]
	idImg = tagID["img"]
)

// needAttrs are the allowed elements the sanitiser removes when none of
// their attributes is kept: all but these are in bluemonday's set of
// elements allowed without attributes.
var needAttrs = set("a", "img")

// needsAttrs reports whether the sanitiser removes element id without
// attributes.
func needsAttrs(id uint8) bool { return needAttrs&(1<<id) != 0 }

// attrCheck is one rule of AttrRules for one attribute name: the elements
// it holds on, as a set over tagID, and the pattern its value must match.
type attrCheck struct {
	on    uint64
	match *regexp.Regexp
}

// attrChecks are AttrRules by attribute name.
var attrChecks = func() map[string][]attrCheck {
	m := map[string][]attrCheck{}
	for _, r := range AttrRules {
		on := ^uint64(0) // a global rule
		if r.On != nil {
			on = set(r.On...)
		}
		for _, a := range r.Attrs {
			m[a] = append(m[a], attrCheck{on, r.Match})
		}
	}
	return m
}()

// keepAttr reports whether the sanitiser keeps attribute key=val on element
// id: some rule allows key there and its pattern, if any, matches val.
func keepAttr(id uint8, key, val []byte) bool {
	for _, c := range attrChecks[string(key)] {
		if c.on&(1<<id) != 0 && (c.match == nil || c.match.Match(val)) {
			return true
		}
	}
	return false
}

// urlFate is what becomes of an href or src on the direct path.
type urlFate uint8

const (
	urlKept      urlFate = iota // written, resolved
	urlRemoved                  // the sanitiser removes the attribute
	urlRefused                  // the sanitiser keeps it, finish refuses it
	urlUndecided                // left to the sanitiser
)

// directURL is what the sanitiser and then finish make of the value of an
// href (img false) or src (img true) that keepAttr kept. The sanitiser
// (bluemonday's validURL under RequireParseableURLs, AllowRelativeURLs and
// URLSchemes) trims the value, removes it when it holds white space (bar data: URLs, which it rewrites: those are left to it), does not
// parse, has a scheme other than URLSchemes or a data: image, or is
// relative and empty, and otherwise writes the parsed URL re-serialised.
// finish then resolves and checks that (resolveURL); when the sanitiser
// wrote back the value as it was, the URL already parsed is that one.
func directURL(val []byte, base *Base, img bool) (string, urlFate) {
	if plainAbsURL(val) {
		// What parsedURL returns for it, without parsing (most links and
		// image sources in feeds are such URLs; TestPlainAbsURL and
		// FuzzPlainAbsURL hold the two to the same result).
		return string(val), urlKept
	}
	return parsedURL(val, base, img)
}

// parsedURL is directURL of any value: parsed, checked, re-serialised and
// resolved.
func parsedURL(val []byte, base *Base, img bool) (string, urlFate) {
	v := strings.TrimSpace(string(val))
	if strings.ContainsAny(v, " \t\n") {
		if strings.HasPrefix(v, "data:") {
			return "", urlUndecided
		}
		return "", urlRemoved
	}
	u, err := url.Parse(v)
	if err != nil {
		return "", urlRemoved
	}
	switch {
	case u.Scheme == "", slices.Contains(URLSchemes, u.Scheme):
	case u.Scheme == "data" && DataImageURL(u):
	default:
		return "", urlRemoved
	}
	s := u.String()
	if u.Scheme == "" && s == "" {
		return "", urlRemoved
	}
	if s != v {
		if u, err = url.Parse(strings.TrimSpace(s)); err != nil {
			return "", urlRefused
		}
		s = "" // u.String() may differ from s again
	}
	out, ok := resolveParsed(u, s, base, img)
	if !ok {
		return "", urlRefused
	}
	return out, urlKept
}

// plainAbsURL reports whether v is an absolute http or https URL that
// url.Parse reads and URL.String writes back byte for byte, and that
// resolveParsed keeps as it is: a lower-case scheme; a host of ASCII
// letters, digits, dots and hyphens with an optional port of digits; and a
// path, query and fragment of characters that neither unescaping nor
// escaping changes (no '%', no white space), with no empty fragment (which
// String drops).
func plainAbsURL(v []byte) bool {
	var rest []byte
	switch {
	case bytes.HasPrefix(v, []byte("https://")):
		rest = v[len("https://"):]
	case bytes.HasPrefix(v, []byte("http://")):
		rest = v[len("http://"):]
	default:
		return false
	}
	i := 0
	for i < len(rest) && (isNameByte(rest[i]) || rest[i] == '.' || rest[i] == '-') {
		i++
	}
	if i == 0 {
		return false
	}
	if i < len(rest) && rest[i] == ':' {
		i++
		port := i
		for i < len(rest) && '0' <= rest[i] && rest[i] <= '9' {
			i++
		}
		if i == port {
			return false
		}
	}
	if i < len(rest) && rest[i] != '/' && rest[i] != '?' && rest[i] != '#' {
		return false
	}
	fragment := false
	for ; i < len(rest); i++ {
		switch c := rest[i]; {
		case isNameByte(c), strings.IndexByte("-._~/?$&+,;=:@", c) >= 0:
		case c == '#' && !fragment && i+1 < len(rest):
			fragment = true
		default:
			return false
		}
	}
	return true
}
