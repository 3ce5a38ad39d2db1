package parse

import (
	"bytes"
	"math/rand/v2"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// naiveDropControls and naiveDemoronize are the byte-by-byte definitions
// the word-at-a-time scans must agree with.
func naiveDropControls(data []byte, xml bool) []byte {
	var out []byte
	for i := 0; i < len(data); i++ {
		if isControl(data[i]) {
			continue
		}
		if xml && isNonchar(data, i) {
			i += 2
			continue
		}
		out = append(out, data[i])
	}
	return out
}

func naiveDemoronize(data []byte) []byte {
	var out []byte
	for i := 0; i < len(data); i++ {
		if data[i] == 0xC2 && i+1 < len(data) && data[i+1] >= 0x80 && data[i+1] <= 0x9F {
			out = utf8.AppendRune(out, charmap.Windows1252.DecodeByte(data[i+1]))
			i++
			continue
		}
		out = append(out, data[i])
	}
	return out
}

// TestScansAgree checks the fast scans against the definitions on random
// documents mixing text, controls, line ends, U+FFFE/U+FFFF and C1 bytes at
// every alignment.
func TestScansAgree(t *testing.T) {
	pieces := [][]byte{
		[]byte("plain text "), []byte("\n"), []byte("\t"), []byte("\r\n"), {0}, {0x1f}, {0x08},
		[]byte("\uFFFE"), []byte("\uFFFF"), []byte("\uFFFD"), []byte("\u00a0"), {0xC2, 0x92}, {0xC2},
		{0xEF}, {0xEF, 0xBF}, []byte("é"), []byte("日本"), {0x7f}, {0x20},
	}
	r := rand.New(rand.NewPCG(1, 2))
	for n := range 5000 {
		var doc []byte
		for range r.IntN(12) {
			doc = append(doc, pieces[r.IntN(len(pieces))]...)
		}
		doc = append(bytes.Repeat([]byte("x"), n%9), doc...) // every alignment
		for _, xml := range []bool{false, true} {
			if got, want := dropControls(doc, xml), naiveDropControls(doc, xml); !bytes.Equal(got, want) {
				t.Fatalf("dropControls(%q, %v) = %q, want %q", doc, xml, got, want)
			}
		}
		if got, want := demoronize(doc), naiveDemoronize(doc); !bytes.Equal(got, want) {
			t.Fatalf("demoronize(%q) = %q, want %q", doc, got, want)
		}
	}
}

// TestScansDoNotCopyCleanInput: a clean document is returned as is.
func TestScansDoNotCopyCleanInput(t *testing.T) {
	doc := []byte("<rss>\n\t<item>caf\u00e9 \u65e5\u672c \uFFFD</item>\r\n</rss>")
	if got := dropControls(doc, true); &got[0] != &doc[0] {
		t.Error("dropControls copied a clean document")
	}
	if got := demoronize(doc); &got[0] != &doc[0] {
		t.Error("demoronize copied a clean document")
	}
}
