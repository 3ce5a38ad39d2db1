package fastsan

import (
	"bytes"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/net/html"
)

// tokens is what finish reads of a document: golang.org/x/net/html's
// Tokenizer, or quickTokens for the plain markup most feeds carry.
type tokens interface {
	Next() html.TokenType
	Text() []byte
	TagName() (name []byte, hasAttr bool)
	TagAttr() (key, val []byte, moreAttr bool)
}

// quickTokens tokenizes the markup nearly every feed sends (elements with
// quoted attributes, text with entities) as x/net/html's Tokenizer does,
// token for token, several times faster: it finds the next '<' with
// IndexByte instead of reading byte by byte through an io.Reader, and
// allocates only to decode entities. On anything else, a doctype, an
// unquoted attribute value, a '<' that starts no tag, a raw text element
// (script, style, textarea, title …), a NUL, an unfinished tag or comment,
// an attribute value whose entities x/net/html would decode otherwise
// than UnescapeString does, it stops before returning that token and sets
// declined: the caller then starts again with x/net/html. What it returns up to
// there is what x/net/html returns (tested token for token in
// quick_test.go, and through the direct path against the sanitiser in
// feeds/normalize).
type quickTokens struct {
	s        []byte
	pos      int
	declined bool

	tt    html.TokenType
	text  []byte // a text token's bytes, raw
	name  []byte // a tag's name, lower-cased
	attrs [][2][]byte
	next  int // attrs returned so far
}

func newQuickTokens(s []byte) *quickTokens { return &quickTokens{s: s} }

// finishDirect is finish on the direct path: with quickTokens, and again
// with x/net/html's Tokenizer when they decline the input.
func finishDirect(raw string, base *Base, max int) (string, bool) {
	q := quickPool.Get().(*quickTokens)
	// Its own copy of raw, in a buffer it keeps: names are lower-cased in
	// place. Nothing finish returns refers to it.
	*q = quickTokens{s: append(q.s[:0], raw...), attrs: q.attrs[:0]}
	out, ok := finish(q, len(raw), base, max, true)
	declined := q.declined
	if cap(q.s) > maxPooledInput {
		q.s = nil
	}
	q.text, q.name = nil, nil
	clear(q.attrs[:cap(q.attrs)])
	quickPool.Put(q)
	if declined {
		return finish(html.NewTokenizer(strings.NewReader(raw)), len(raw), base, max, true)
	}
	return out, ok
}

// quickPool keeps quickTokens, with their copy of the input and their
// attributes, from one field to the next: every field is copied, and
// fresh copies would be a large share of what a busy pass allocates.
var quickPool = sync.Pool{New: func() any { return new(quickTokens) }}

// maxPooledInput is the largest input buffer quickPool keeps; a rare huge
// field's is left to the collector.
const maxPooledInput = 64 << 10

// decline ends the token stream: the caller must use x/net/html.
func (z *quickTokens) decline() html.TokenType {
	z.declined = true
	z.tt = html.ErrorToken
	return z.tt
}

func isTagSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' }

func isASCIILetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

func isNameByte(c byte) bool { return isASCIILetter(c) || '0' <= c && c <= '9' }

func isKeyByte(c byte) bool { return isNameByte(c) || c == '-' || c == '_' || c == ':' }

func endsKey(c byte) bool { return isTagSpace(c) || c == '=' || c == '/' || c == '>' }

func (z *quickTokens) Next() html.TokenType {
	z.text, z.name, z.attrs, z.next = nil, nil, z.attrs[:0], 0
	if z.declined || z.pos >= len(z.s) {
		z.tt = html.ErrorToken
		return z.tt
	}
	rest := z.s[z.pos:]
	if rest[0] != '<' {
		end := len(rest)
		if i := indexByte(rest, '<'); i >= 0 {
			end = i
		}
		text := rest[:end]
		// x/net/html would go on with the text after a '<' that starts
		// no tag.
		if end < len(rest) && !startsToken(rest[end:]) || hasByte(text, 0) {
			return z.decline()
		}
		z.pos += end
		z.text, z.tt = text, html.TextToken
		return z.tt
	}
	if !startsToken(rest) {
		return z.decline()
	}
	if rest[1] == '!' {
		return z.comment(rest)
	}
	if rest[1] == '/' {
		return z.endTag(rest)
	}
	return z.startTag(rest)
}

// startsToken reports whether s (at a '<') starts a token this tokenizer
// reads: "<x" or "</x" with x an ASCII letter, or a comment.
func startsToken(s []byte) bool {
	switch {
	case len(s) >= 2 && isASCIILetter(s[1]):
		return true
	case len(s) >= 3 && s[1] == '/' && isASCIILetter(s[2]):
		return true
	}
	return bytes.HasPrefix(s, []byte("<!--"))
}

// comment reads "<!--" to its end as x/net/html does: at the first "-->"
// or "--!>", or at once when the comment opens with ">" or "->".
func (z *quickTokens) comment(rest []byte) html.TokenType {
	c := rest[4:]
	end := -1
	switch {
	case bytes.HasPrefix(c, []byte(">")):
		end = 1
	case bytes.HasPrefix(c, []byte("->")):
		end = 2
	default:
		if i := bytes.Index(c, []byte("-->")); i >= 0 {
			end = i + 3
		}
		if i := bytes.Index(c, []byte("--!>")); i >= 0 && (end < 0 || i+4 < end) {
			end = i + 4
		}
	}
	if end < 0 {
		return z.decline() // unclosed: x/net/html ends it at the end of input
	}
	z.pos += 4 + end
	z.tt = html.CommentToken
	return z.tt
}

// tagName reads a tag name from s[i:]: ASCII letters and digits, ended by
// white space, '/' or '>'. It returns the name and where it ends, or ok
// false for a name x/net/html reads otherwise or differently.
func tagName(s []byte, i int) (name []byte, end int, ok bool) {
	j := i
	for j < len(s) && isNameByte(s[j]) {
		j++
	}
	if j == len(s) || !(isTagSpace(s[j]) || s[j] == '/' || s[j] == '>') {
		return nil, 0, false
	}
	return s[i:j], j, true
}

func (z *quickTokens) endTag(rest []byte) html.TokenType {
	name, i, ok := tagName(rest, 2)
	if !ok {
		return z.decline()
	}
	for i < len(rest) && isTagSpace(rest[i]) {
		i++
	}
	if i == len(rest) || rest[i] != '>' {
		return z.decline() // attributes or a '/' in an end tag
	}
	lowerASCII(name)
	z.pos += i + 1
	z.name, z.tt = name, html.EndTagToken
	return z.tt
}

func (z *quickTokens) startTag(rest []byte) html.TokenType {
	name, i, ok := tagName(rest, 1)
	if !ok {
		return z.decline()
	}
	lowerASCII(name)
	switch string(name) {
	case "iframe", "noembed", "noframes", "noscript", "plaintext", "script", "style", "textarea", "title", "xmp":
		return z.decline() // what follows is raw text to x/net/html
	}
	tt := html.StartTagToken
	for {
		for i < len(rest) && isTagSpace(rest[i]) {
			i++
		}
		if i == len(rest) {
			return z.decline() // unfinished tag
		}
		if rest[i] == '>' {
			i++
			break
		}
		if rest[i] == '/' {
			if i+1 < len(rest) && rest[i+1] == '>' {
				i += 2
				tt = html.SelfClosingTagToken
				break
			}
			return z.decline()
		}
		// An attribute: key, optionally = and a quoted value. x/net/html
		// ends a key only at white space, '/', '=' or '>'.
		k := i
		for i < len(rest) && isKeyByte(rest[i]) {
			i++
		}
		if i == k || i == len(rest) || !endsKey(rest[i]) {
			return z.decline()
		}
		key := rest[k:i]
		for i < len(rest) && isTagSpace(rest[i]) {
			i++
		}
		var val []byte
		if i < len(rest) && rest[i] == '=' {
			i++
			for i < len(rest) && isTagSpace(rest[i]) {
				i++
			}
			if i == len(rest) || rest[i] != '"' && rest[i] != '\'' {
				return z.decline() // unquoted (or missing) value
			}
			q := rest[i]
			end := indexByte(rest[i+1:], q)
			if end < 0 {
				return z.decline()
			}
			val = rest[i+1 : i+1+end]
			i += end + 2
			if hasByte(val, 0) || !plainEntities(val) {
				return z.decline()
			}
			if i < len(rest) && !isTagSpace(rest[i]) && rest[i] != '>' && rest[i] != '/' {
				return z.decline() // `a="x"b="y"`: x/net/html reads it too, but rarely sent
			}
		}
		lowerASCII(key)
		if !z.hasAttr(key) { // x/net/html keeps the first of a repeated name
			z.attrs = append(z.attrs, [2][]byte{key, val})
		}
	}
	z.pos += i
	z.name, z.tt = name, tt
	return z.tt
}

func (z *quickTokens) hasAttr(key []byte) bool {
	for _, a := range z.attrs {
		if string(a[0]) == string(key) {
			return true
		}
	}
	return false
}

func (z *quickTokens) Text() []byte {
	if z.tt != html.TextToken || z.text == nil {
		return nil
	}
	s := crlf(z.text)
	z.text = nil
	if hasByte(s, '&') {
		return []byte(html.UnescapeString(string(s)))
	}
	return s
}

func (z *quickTokens) TagName() ([]byte, bool) {
	if z.name == nil {
		return nil, false
	}
	name := z.name
	z.name = nil
	return name, z.next < len(z.attrs)
}

func (z *quickTokens) TagAttr() (key, val []byte, moreAttr bool) {
	if z.next >= len(z.attrs) || z.tt == html.EndTagToken {
		return nil, nil, false
	}
	a := z.attrs[z.next]
	z.next++
	val = crlf(a[1])
	if hasByte(val, '&') {
		// plainEntities held: text and attribute decoding agree.
		val = []byte(html.UnescapeString(string(val)))
	}
	return a[0], val, z.next < len(z.attrs)
}

// plainEntities reports whether every character reference in an attribute
// value decodes the same in x/net/html's attribute mode as in its text mode
// (UnescapeString, which TagAttr uses). Numeric references and a bare '&'
// do. A named one does when text mode leaves it as it is (then so does
// attribute mode), or when text mode decodes all of it (an exact name:
// attribute mode decodes it too) unless it lacks its ';' and an '=' follows
// (attribute mode keeps "&copy=" for URLs' sake). Text mode decoding only
// a prefix ("&notit;" is "¬it;") is what attribute mode never does.
func plainEntities(v []byte) bool {
	for i := 0; i < len(v); i++ {
		if v[i] != '&' || i+1 == len(v) || !isNameByte(v[i+1]) {
			continue
		}
		j := i + 1
		for j < len(v) && isNameByte(v[j]) {
			j++
		}
		semi := j < len(v) && v[j] == ';'
		if semi {
			j++
		}
		ref := string(v[i:j])
		if dec := html.UnescapeString(ref); dec != ref {
			if strings.IndexFunc(dec, func(r rune) bool { return r < utf8.RuneSelf && isNameByte(byte(r)) }) >= 0 {
				return false // a prefix decoded, the rest left
			}
			if !semi && j < len(v) && v[j] == '=' {
				return false
			}
		}
		i = j - 1
	}
	return true
}

// crlf turns "\r\n" and a lone "\r" into "\n", in place, as x/net/html
// does to text and attribute values.
func crlf(b []byte) []byte {
	i := bytes.IndexByte(b, '\r')
	if i < 0 {
		return b
	}
	out := b[:i]
	for ; i < len(b); i++ {
		switch {
		case b[i] != '\r':
			out = append(out, b[i])
		case i+1 < len(b) && b[i+1] == '\n':
			// the '\n' comes next
		default:
			out = append(out, '\n')
		}
	}
	return out
}

func lowerASCII(b []byte) {
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
}

func indexByte(b []byte, c byte) int { return bytes.IndexByte(b, c) }

func hasByte(b []byte, c byte) bool { return bytes.IndexByte(b, c) >= 0 }
