package normalize

import (
	"bytes"
	"strings"

	"github.com/feedloom/feedloom/feeds/normalize/internal/fastsan"
)

// Caps on HTML fields. Input beyond MaxRawHTMLBytes is not even looked at
// (a 20 MB content element costs no more than a 2 MB one); sanitised output
// is cut at MaxHTMLBytes on a token boundary with every open element closed.
const (
	MaxHTMLBytes    = 1 << 20
	MaxRawHTMLBytes = 2 * MaxHTMLBytes
)

// HTML returns raw (a feed's summary or content) sanitised for republishing:
// only the markup newPolicy allows, relative href/src resolved against base
// (the item's link; relative URLs are dropped when base is not an absolute
// http(s) URL), links carrying rel="nofollow noopener noreferrer", invalid
// UTF-8 repaired, characters XML forbids removed, at most MaxHTMLBytes, and
// every element closed.
func (n *Normalizer) HTML(raw, base string) string {
	return n.html(raw, &fastsan.Base{Raw: base, Parse: baseURL})
}

// html is HTML with a base shared by the fields of one item. The fast path
// (fastsan) takes plain text and the markup most feeds send; bluemonday
// takes what it declines.
func (n *Normalizer) html(raw string, base *fastsan.Base) string {
	if raw == "" {
		return ""
	}
	raw = cleanText(cutBytes(raw, MaxRawHTMLBytes), false)
	if strings.IndexByte(raw, '<') < 0 && strings.IndexByte(raw, '&') < 0 {
		// Plain text (many summaries are): with no tag and no entity
		// there is nothing to sanitise, and the sanitiser followed by
		// Finish would only escape it, which PlainText does directly.
		return strings.TrimSpace(fastsan.PlainText(raw, MaxHTMLBytes))
	}
	out, ok := fastsan.Sanitise(raw, base, MaxHTMLBytes)
	if !ok {
		out = n.bluemonday(raw, base)
	}
	// Entities the tokenizer decoded can be characters XML forbids
	// ("&#1;"): the output is cleaned again, as the raw input was.
	return strings.TrimSpace(cleanText(out, false))
}

// bluemonday sanitises raw under the policy and re-serialises the result
// with fastsan.Finish: what fastsan.Sanitise reproduces, for any input.
func (n *Normalizer) bluemonday(raw string, base *fastsan.Base) string {
	// The sanitiser writes into a buffer sized for its output and Finish
	// reads that buffer, so its output is never copied into a string.
	var buf bytes.Buffer
	buf.Grow(len(raw) + len(raw)/16 + 64)
	if err := n.policy.SanitizeReaderToWriter(strings.NewReader(raw), &buf); err != nil {
		return "" // what Sanitize returns on error, not half a document
	}
	return fastsan.Finish(&buf, base, MaxHTMLBytes)
}
