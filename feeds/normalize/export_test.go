package normalize

import (
	"strings"

	"github.com/feedloom/feedloom/feeds/normalize/internal/fastsan"
)

// SanitisedHTML is the reference the differential tests hold HTML to:
// HTML with bluemonday under the policy followed by fastsan.Finish for
// every input, no fast path taken, not even for plain text.
func SanitisedHTML(n *Normalizer, raw, base string) string {
	if raw == "" {
		return ""
	}
	raw = cleanText(cutBytes(raw, MaxRawHTMLBytes), false)
	out := n.bluemonday(raw, &fastsan.Base{Raw: base, Parse: baseURL})
	return strings.TrimSpace(cleanText(out, false))
}

// TakesDirect reports whether HTML(raw, base) takes the fast path's
// Sanitise. Plain text, which takes PlainText, does not.
func TakesDirect(raw, base string) bool {
	raw = cleanText(cutBytes(raw, MaxRawHTMLBytes), false)
	if !strings.ContainsAny(raw, "<&") {
		return false
	}
	_, ok := fastsan.Sanitise(raw, &fastsan.Base{Raw: base, Parse: baseURL}, MaxHTMLBytes)
	return ok
}
