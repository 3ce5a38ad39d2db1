// Package fastsan is the sanitiser's fast path: for the markup most feeds
// send it writes, in one pass over the raw input, byte for byte what
// bluemonday (under the policy built from this package's tables) followed
// by Finish writes, and declines the rest. Its proof is against the
// versions of bluemonday and golang.org/x/net in ProvenBluemonday and
// ProvenXNet; feeds/normalize owns the policy and runs bluemonday when
// Sanitise declines.
package fastsan

import (
	"bytes"
	"strings"

	"golang.org/x/net/html"
)

// The versions the fast path was proven against: it reproduces what
// bluemonday's sanitize and x/net/html's Tokenizer do at these versions,
// detail by detail. TestProvenVersions fails when go.mod moves either.
const (
	ProvenBluemonday = "v1.0.27"
	ProvenXNet       = "v0.62.0"
)

// Sanitise returns what bluemonday under the policy followed by Finish
// would write of raw, at most max bytes, with ok true; or ok false when raw
// holds something the fast path does not reproduce, and the caller must
// run bluemonday and Finish itself.
func Sanitise(raw string, base *Base, max int) (out string, ok bool) {
	return finishDirect(raw, base, max)
}

// Finish re-serialises what bluemonday wrote under the policy (see finish):
// URLs resolved and re-checked, rel set on links, elements closed, at most
// max bytes.
func Finish(sanitised *bytes.Buffer, base *Base, max int) string {
	out, _ := finish(html.NewTokenizer(sanitised), sanitised.Len(), base, max, false)
	return out
}

// PlainText is what bluemonday and Finish make of text holding neither
// '<' nor '&': the text with newlines normalised as an HTML tokenizer does,
// escaped, and cut on a rune boundary to at most max bytes.
func PlainText(s string, max int) string {
	if strings.IndexByte(s, '\r') >= 0 {
		s = strings.ReplaceAll(s, "\r\n", "\n")
		s = strings.ReplaceAll(s, "\r", "\n")
	}
	if escapedLen(s) > max {
		return escapedPrefix([]byte(s), max)
	}
	return html.EscapeString(s) // s itself when nothing needs escaping
}
