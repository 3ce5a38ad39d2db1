package parse

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"mime"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/encoding/unicode/utf32"
)

// gofeed gives up on a whole feed for details a lenient reader should
// forgive: UTF-16/32, undeclared or mislabelled legacy encodings, one
// U+FFFE or &#0;, a BOM before JSON. prepare turns the document into clean
// UTF-8 first, so gofeed only ever sees UTF-8 with a prolog that says so.

// prepared is a document ready for gofeed.
type prepared struct {
	data []byte
	json bool // first significant byte is '{'
}

// prepare fixes the encoding and the characters of data. contentType is the
// HTTP Content-Type ("" when unknown).
func prepare(data []byte, contentType string) (prepared, error) {
	if bytes.HasPrefix(data, []byte{0x1f, 0x8b}) {
		return prepared{}, fmt.Errorf("%w: gzip-compressed data (decompress it first)", ErrNotAFeed)
	}
	data, wide := decodeWide(data)
	data = dropControls(bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF")), false)
	first := firstSignificant(data)
	switch first {
	case -1:
		return prepared{}, fmt.Errorf("%w: empty document", ErrNotAFeed)
	case '{':
		if !wide && !utf8.Valid(data) {
			data = toUTF8(data, httpCharset(contentType), "")
		}
		return prepared{data: demoronize(data), json: true}, nil
	case '<':
	default:
		return prepared{}, fmt.Errorf("%w: starts with %q, not '<' or '{'", ErrNotAFeed, clip(data, 16))
	}
	declStart, declEnd, label := xmlDecl(data)
	if !wide && !utf8.Valid(data) {
		data = toUTF8(data, httpCharset(contentType), label)
		declStart, declEnd, label = xmlDecl(data)
	}
	if label != "" && !strings.EqualFold(label, "utf-8") {
		// The bytes are UTF-8 now; make the prolog say so, or gofeed would
		// transcode them a second time (or fail on an unknown name).
		data = rewriteDecl(data, declStart, declEnd)
	}
	return prepared{data: demoronize(dropCharRefs(dropControls(data, true)))}, nil
}

// decodeWide transcodes UTF-16 and UTF-32 documents (with a BOM, or
// recognised by the null bytes around the first '<' or '{') to UTF-8.
func decodeWide(data []byte) ([]byte, bool) {
	var enc encoding.Encoding
	switch {
	case bytes.HasPrefix(data, []byte{0, 0, 0xFE, 0xFF}), len(data) >= 4 && data[0] == 0 && data[1] == 0 && data[2] == 0 && data[3] != 0:
		enc = utf32.UTF32(utf32.BigEndian, utf32.UseBOM)
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE, 0, 0}), len(data) >= 4 && data[0] != 0 && data[1] == 0 && data[2] == 0 && data[3] == 0:
		enc = utf32.UTF32(utf32.LittleEndian, utf32.UseBOM)
	case bytes.HasPrefix(data, []byte{0xFE, 0xFF}), len(data) >= 4 && data[0] == 0 && data[1] != 0 && data[2] == 0 && data[3] != 0:
		enc = unicode.UTF16(unicode.BigEndian, unicode.UseBOM)
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}), len(data) >= 4 && data[0] != 0 && data[1] == 0 && data[2] != 0 && data[3] == 0:
		enc = unicode.UTF16(unicode.LittleEndian, unicode.UseBOM)
	default:
		return data, false
	}
	out, err := enc.NewDecoder().Bytes(data)
	if err != nil {
		return data, false
	}
	return bytes.ToValidUTF8(out, []byte("\uFFFD")), true
}

// toUTF8 transcodes bytes that are not valid UTF-8. The HTTP charset, then
// the prolog's encoding, are tried; a label claiming UTF-8 (or UTF-16, with
// no wide bytes) is provably wrong and skipped. Without a usable label,
// text that is mostly UTF-8 keeps its good runes (bad bytes become U+FFFD)
// and anything else is read as windows-1252, the superset of ISO-8859-1
// that undeclared Western feeds are written in.
func toUTF8(data []byte, labels ...string) []byte {
	for _, l := range labels {
		if l == "" {
			continue
		}
		enc, name := charset.Lookup(l)
		if enc == nil || name == "utf-8" || strings.HasPrefix(name, "utf-16") {
			continue
		}
		if out, err := enc.NewDecoder().Bytes(data); err == nil {
			return bytes.ToValidUTF8(out, []byte("\uFFFD"))
		}
	}
	if mostlyUTF8(data) {
		return bytes.ToValidUTF8(data, []byte("\uFFFD"))
	}
	out, err := charmap.Windows1252.NewDecoder().Bytes(data)
	if err != nil {
		return bytes.ToValidUTF8(data, []byte("\uFFFD"))
	}
	return out
}

// mostlyUTF8 reports whether valid multi-byte UTF-8 sequences outnumber the
// bytes that are not UTF-8.
func mostlyUTF8(b []byte) bool {
	good, bad := 0, 0
	for len(b) > 0 {
		if b[0] < utf8.RuneSelf {
			b = b[1:]
			continue
		}
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n == 1 {
			bad++
		} else {
			good++
		}
		b = b[n:]
	}
	return good > bad
}

// httpCharset is the charset parameter of a Content-Type, or "".
func httpCharset(contentType string) string {
	if contentType == "" {
		return ""
	}
	_, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(params["charset"])
}

// xmlDecl finds the XML declaration at the start of data (after
// whitespace) and the value of its encoding pseudo-attribute.
func xmlDecl(data []byte) (start, end int, label string) {
	start = len(data) - len(bytes.TrimLeft(data, " \t\r\n"))
	if !bytes.HasPrefix(data[start:], []byte("<?xml")) {
		return 0, 0, ""
	}
	e := bytes.Index(data[start:], []byte("?>"))
	if e < 0 || e > 512 {
		return 0, 0, ""
	}
	end = start + e + 2
	decl := string(data[start:end])
	i := strings.Index(decl, "encoding")
	if i < 0 {
		return start, end, ""
	}
	rest := strings.TrimLeft(decl[i+len("encoding"):], " \t\r\n")
	if !strings.HasPrefix(rest, "=") {
		return start, end, ""
	}
	rest = strings.TrimLeft(rest[1:], " \t\r\n")
	if rest == "" || (rest[0] != '"' && rest[0] != '\'') {
		return start, end, ""
	}
	q := rest[0]
	v, _, ok := strings.Cut(rest[1:], string(q))
	if !ok {
		return start, end, ""
	}
	return start, end, strings.TrimSpace(v)
}

// rewriteDecl replaces the XML declaration data[start:end] with a UTF-8 one.
func rewriteDecl(data []byte, start, end int) []byte {
	if end <= start {
		return data
	}
	decl := []byte(`<?xml version="1.0" encoding="UTF-8"?>`)
	out := make([]byte, 0, len(data)-(end-start)+len(decl))
	out = append(out, data[:start]...)
	out = append(out, decl...)
	return append(out, data[end:]...)
}

// dropControls removes C0 controls other than tab, LF and CR (never valid
// in XML, nor raw inside JSON strings) and, for XML, U+FFFE and U+FFFF. It
// copies only when there is something to drop.
func dropControls(data []byte, xml bool) []byte {
	i := firstControl(data)
	if xml {
		if j := firstNonchar(data); j >= 0 && (i < 0 || j < i) {
			i = j
		}
	}
	if i < 0 {
		return data
	}
	bad := func(i int) int { // length of a forbidden sequence at i, or 0
		if isControl(data[i]) {
			return 1
		}
		if xml && isNonchar(data, i) {
			return 3
		}
		return 0
	}
	out := make([]byte, 0, len(data))
	out = append(out, data[:i]...)
	for i < len(data) {
		if n := bad(i); n > 0 {
			i += n
			continue
		}
		out = append(out, data[i])
		i++
	}
	return out
}

// isControl reports whether b is a C0 control other than tab, LF and CR.
func isControl(b byte) bool { return b < 0x20 && b != '\t' && b != '\n' && b != '\r' }

// isNonchar reports whether data holds U+FFFE or U+FFFF at i.
func isNonchar(data []byte, i int) bool {
	return data[i] == 0xEF && i+2 < len(data) && data[i+1] == 0xBF && (data[i+2] == 0xBE || data[i+2] == 0xBF)
}

// firstControl returns the index of the first byte isControl reports, or
// -1. Every fetched byte passes here and almost none is a control, so it
// tests eight bytes at a time: (x - 0x20 in each byte) &^ x has a byte's
// high bit set only if some byte of x is below 0x20 (exact as a yes/no).
// Tab, LF and CR pass that test too; only such words are looked at bytewise.
func firstControl(data []byte) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(data); i += 8 {
		x := binary.LittleEndian.Uint64(data[i:])
		if (x-0x20*ones)&^x&highs == 0 {
			continue
		}
		for j := i; j < i+8; j++ {
			if isControl(data[j]) {
				return j
			}
		}
	}
	for ; i < len(data); i++ {
		if isControl(data[i]) {
			return i
		}
	}
	return -1
}

// firstNonchar returns the index of the first U+FFFE or U+FFFF in data, or
// -1; it jumps from one 0xEF byte to the next (bytes.IndexByte is
// vectorised), which is rare outside East Asian text.
func firstNonchar(data []byte) int {
	for off := 0; ; {
		k := bytes.IndexByte(data[off:], 0xEF)
		if k < 0 {
			return -1
		}
		if isNonchar(data, off+k) {
			return off + k
		}
		off += k + 1
	}
}

// demoronize replaces C1 controls (U+0080-U+009F), which in feeds are
// windows-1252 punctuation decoded as ISO-8859-1 ("don\u0092t"), with the
// characters windows-1252 means (U+2019). data must be valid UTF-8.
func demoronize(data []byte) []byte {
	isC1 := func(i int) bool { return data[i] == 0xC2 && i+1 < len(data) && data[i+1] >= 0x80 && data[i+1] <= 0x9F }
	i := -1
	for off := 0; i < 0; { // jump between 0xC2 bytes (U+0080-U+00BF)
		k := bytes.IndexByte(data[off:], 0xC2)
		if k < 0 {
			return data
		}
		if isC1(off + k) {
			i = off + k
		}
		off += k + 1
	}
	out := make([]byte, 0, len(data)+16)
	out = append(out, data[:i]...)
	for i < len(data) {
		if isC1(i) {
			out = utf8.AppendRune(out, charmap.Windows1252.DecodeByte(data[i+1]))
			i += 2
			continue
		}
		out = append(out, data[i])
		i++
	}
	return out
}

// dropCharRefs removes character references to characters XML 1.0 forbids
// (&#0;, &#x1;, &#xFFFE;, surrogates, beyond U+10FFFF): one of them makes
// gofeed reject the whole feed.
func dropCharRefs(data []byte) []byte {
	if !bytes.Contains(data, []byte("&#")) {
		return data
	}
	var out []byte
	last := 0
	for i := 0; i < len(data); {
		j := bytes.Index(data[i:], []byte("&#"))
		if j < 0 {
			break
		}
		i += j + 2
		v, n, ok := charRef(data[i:])
		if !ok {
			continue
		}
		if !xmlChar(v) {
			out = append(out, data[last:i-2]...)
			last = i + n
		}
		i += n
	}
	if out == nil {
		return data
	}
	return append(out, data[last:]...)
}

// charRef reads the rest of a character reference after "&#": "65;" or
// "x41;". It returns the character (-1 when out of range), the bytes read
// including ';', and whether it was a reference at all.
func charRef(b []byte) (rune, int, bool) {
	base, k := uint64(10), 0
	if len(b) > 0 && b[0] == 'x' {
		base, k = 16, 1
	}
	start := k
	var v uint64
	for ; k < len(b); k++ {
		d, ok := digit(b[k], base)
		if !ok {
			break
		}
		if v <= 0x10FFFF {
			v = v*base + d
		}
	}
	if k == start || k >= len(b) || b[k] != ';' {
		return 0, 0, false
	}
	if v > 0x10FFFF {
		return -1, k + 1, true
	}
	return rune(v), k + 1, true
}

func digit(c byte, base uint64) (uint64, bool) {
	switch {
	case c >= '0' && c <= '9':
		return uint64(c - '0'), true
	case base == 16 && c >= 'a' && c <= 'f':
		return uint64(c-'a') + 10, true
	case base == 16 && c >= 'A' && c <= 'F':
		return uint64(c-'A') + 10, true
	}
	return 0, false
}

// xmlChar is XML 1.0's Char production.
func xmlChar(r rune) bool {
	return r == 0x9 || r == 0xA || r == 0xD ||
		r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}

// firstSignificant is the first byte that is not XML/JSON white space, or
// -1 when there is none.
func firstSignificant(data []byte) int {
	for _, b := range data {
		switch b {
		case ' ', '\t', '\r', '\n':
		default:
			return int(b)
		}
	}
	return -1
}

// clip is at most n bytes of b, for error messages.
func clip(b []byte, n int) []byte {
	b = bytes.TrimLeft(b, " \t\r\n")
	return b[:min(len(b), n)]
}
