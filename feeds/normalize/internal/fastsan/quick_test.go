package fastsan_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/feedloom/feedloom/feeds/normalize/internal/fastsan"
	"github.com/feedloom/feedloom/feeds/normalize/internal/samples"
)

// quickCases are the markup quickTokens reads itself, and edges of what it
// leaves to x/net/html, beside the differential tables.
var quickCases = []string{
	`<p>Hello <a href="https://e.com/a?b=1&amp;c=2">world</a>.</p>`,
	`<P CLASS="x">Up<BR/>per</P>`, `<img src='/a.png' alt="x &lt; y" />`, `<br/><hr /><img src="x"/>`,
	`<a href="x" href="y" HREF="z">first wins</a>`, `<ol reversed start="3"><li>a</li></ol>`,
	`<td colspan = "2" >x</td >`, `text &nbsp;&rsquo;&#8217;&#x2019; &amp &notit; & done`,
	`<a title="&notit;">named entity in an attribute</a>`, `<a title="&amp;&lt;&gt;&quot;&apos;&#39;&#x27;">xml</a>`,
	`<a title="&ampx">no semicolon</a>`, `<a title="a & b">bare</a>`, `<a title="&#">hash</a>`,
	"<p>a\rb</p>", "<p>a\x00b</p>", "<a title=\"a\x00b\">x</a>", "<a title=\"a\nb\">x</a>",
	`<p>a < b</p>`, `a <!-- c --> b`, `</>`, `</ x>`, `</p/>`, `</p x="1">`, `<a x="1"y="2">`, `<a x="1" / y>`,
	`<custom-el>x</custom-el>`, `<o:p>x</o:p>`, `<a data.x="1">`, `<a =x>`, `<a x=y>`, `<a x= "y">`,
	`<script>x</script>`, `<title>x</title>`, `<textarea>x</textarea>`, `<p`, `<p title="x`, `<p title`, `a<`, `x</`,
	`<a b c="d" e>`, `<a b/>`, `<a b />`, `<p>` + strings.Repeat("x", 5000) + `</p>`,
	`a<!-- c -->b`, `<!-->x`, `<!--->x`, `<!---->x`, `<!-- a --!> b -->c`, `<!-- a --!- -> b -->c`, `<!-- a ---> b`,
	`<!-- unclosed`, `<!--`, `<!-x-->y`, `<!doctype html>x`, `<?xml x?>y`, "a\r\nb\rc\r", "<p\r\ntitle=\"a\r\nb\rc\">x</p>",
	"<a\rhref=\"/x\"\r>y</a\r>", "<a title=\"&amp\r=\">x</a>",
}

// TestQuickTokensMatchXNetHTML holds quickTokens to x/net/html's Tokenizer,
// token for token, on everything the direct path is tested on.
func TestQuickTokensMatchXNetHTML(t *testing.T) {
	fields := append(append([]string(nil), quickCases...), samples.Fields(t)...)
	count := 20000
	if testing.Short() || raceEnabled {
		count = 2000
	}
	for seed := range uint64(count) {
		fields = append(fields, samples.Markup(seed, 1+int(seed%60)))
	}
	whole, declined := 0, 0
	for _, raw := range fields {
		diff, _, dec := fastsan.QuickTokensDiffer(raw)
		if diff != "" {
			t.Errorf("%.200q: %s", raw, diff)
		}
		if dec {
			declined++
		} else {
			whole++
		}
	}
	t.Logf("%d documents read whole, %d declined part way", whole, declined)
	// Generated news (the bench's shapes, and one hostile snippet in
	// five) is read whole but for raw text elements and comments.
	for _, it := range samples.News(3, 200) {
		for _, s := range []string{it.Summary, it.Content} {
			at := fastsan.QuickDeclinesAt(s)
			if at < 0 {
				continue
			}
			rest := strings.ToLower(s[at:])
			if !strings.HasPrefix(rest, "<!") && !slices.ContainsFunc(rawElements, func(e string) bool { return strings.HasPrefix(rest, "<"+e) }) {
				t.Errorf("declined generated news at %.100q", s[at:])
			}
		}
	}
}

// rawElements are those whose content x/net/html reads as raw text.
var rawElements = []string{"iframe", "noembed", "noframes", "noscript", "plaintext", "script", "style", "textarea", "title", "xmp"}

// FuzzQuickTokens fuzzes the same comparison.
func FuzzQuickTokens(f *testing.F) {
	for _, s := range quickCases {
		f.Add(s)
	}
	for seed := range uint64(50) {
		f.Add(samples.Markup(seed, 30))
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if diff, _, _ := fastsan.QuickTokensDiffer(raw); diff != "" {
			t.Fatalf("%q: %s", raw, diff)
		}
	})
}
