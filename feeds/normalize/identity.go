package normalize

import (
	"html"
	"slices"
	"strings"
)

// ampParams are query parameters that only ask for the AMP rendering of a
// page (?amp=1, ?outputType=amp): the page is the same story. Compared
// case-insensitively, in LinkKey only (the published link keeps them).
var ampParams = map[string]bool{"amp": true, "outputtype": true, "output": true, "amp_js_v": true, "usqp": true}

// hostPrefixes are the labels publishers put before their own host for a
// mobile or AMP rendering, or out of habit ("www."); LinkKey drops one.
var hostPrefixes = []string{"www.", "m.", "mobile.", "amp.", "www2."}

// LinkKey is the identity of a canonical link (Link's output) for dedupe:
// the story a URL names whatever rendering or campaign it was reached by.
// It drops the scheme, a www./m./mobile./amp. host label, "amp" path
// segments and a ".amp" suffix, the trailing slash, AMP query parameters,
// and sorts the remaining parameters; those that name content (id, p,
// story, …) stay, tracking ones are already gone (see trackingParams).
// The fragment Link kept ("#!", "#/") stays. Not a URL: "" for "".
func LinkKey(link string) string {
	_, rest, ok := strings.Cut(link, "://")
	if !ok || rest == "" {
		return ""
	}
	var frag string
	if i := strings.IndexByte(rest, '#'); i >= 0 {
		rest, frag = rest[:i], rest[i:]
	}
	var query string
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		rest, query = rest[:i], rest[i+1:]
	}
	host, path := rest, ""
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		host, path = rest[:i], rest[i:]
	}
	for _, p := range hostPrefixes {
		if strings.HasPrefix(host, p) && strings.Count(host, ".") >= 2 {
			host = host[len(p):]
			break
		}
	}
	path = ampless(path)
	var b strings.Builder
	b.Grow(len(host) + len(path) + len(query) + len(frag) + 1)
	b.WriteString(host)
	b.WriteString(path)
	if query != "" {
		parts := strings.Split(query, "&")
		parts = slices.DeleteFunc(parts, func(p string) bool {
			k, _, _ := strings.Cut(p, "=")
			return ampParams[strings.ToLower(k)]
		})
		slices.Sort(parts)
		if len(parts) > 0 {
			b.WriteByte('?')
			b.WriteString(strings.Join(parts, "&"))
		}
	}
	b.WriteString(frag)
	return b.String()
}

// titlePrefixes are the labels put before a headline, followed by ':' or
// '-' ("UPDATE 2-", "WATCH:", "Opinion:"), as TitleKey writes them: not
// part of the story's name.
var titlePrefixes = map[string]bool{
	"update": true, "updated": true, "watch": true, "video": true, "breaking": true, "breaking news": true,
	"live": true, "live updates": true, "opinion": true, "analysis": true, "exclusive": true, "factbox": true,
	"explainer": true, "wrapup": true, "corrected": true, "refile": true, "insight": true, "editorial": true,
	"podcast": true, "listen": true, "just in": true, "developing": true, "urgent": true, "fact check": true,
	"instant view": true, "column": true, "commentary": true, "photos": true, "ap": true, "reuters": true,
	"afp": true, "report": true,
}

// knownOutlets are publishers whose name aggregators add to a headline
// (" - Reuters", " | AP News", " (Associated Press)"), as TitleKey writes
// them. The feed's own title and the item's Outlet are outlets too.
var knownOutlets = map[string]bool{
	"reuters": true, "ap": true, "ap news": true, "associated press": true, "the associated press": true,
	"afp": true, "bbc": true, "bbc news": true, "cnn": true, "the guardian": true, "guardian": true,
	"the new york times": true, "new york times": true, "nyt": true, "the washington post": true,
	"washington post": true, "bloomberg": true, "yahoo news": true, "msn": true, "npr": true,
	"fox news": true, "abc news": true, "cbs news": true, "nbc news": true, "al jazeera": true,
	"the verge": true, "techcrunch": true, "axios": true, "politico": true, "the hill": true,
	"usa today": true, "the wall street journal": true, "wsj": true, "financial times": true,
	"sky news": true, "euronews": true, "dw": true, "france 24": true, "the independent": true,
	"the telegraph": true, "business insider": true, "cnbc": true, "forbes": true, "newsweek": true,
	"the atlantic": true, "wired": true, "ars technica": true, "engadget": true, "the economist": true,
}

// outletSeps split a feed title into the names it may be known by
// ("World news | The Guardian", "NYT > Top Stories", "Reuters: World News").
const outletSeps = ":|>-–—"

// maxAffixBytes bounds the affixes looked at: an outlet's name or a label
// is short, and a long title must cost no more than a short one.
const maxAffixBytes = 64

// DedupeTitleKey is the title as dedupe compares it, as people read it:
// entities decoded until stable, the usual labels before it ("UPDATE 2-",
// "WATCH:") and an outlet's name after it (" - Reuters", " | The Guardian",
// " (Kyle Wiggers/TechCrunch)") cut, the outlets being the feed's own
// title, the aggregator's Outlet and knownOutlets; then TitleKey with runs
// of single letters joined ("U.S." and "US" both "us", "Fed's" "feds").
// A title cut short ("…" or "...") ends in " …" instead of its last,
// maybe partial, word, so that dedupe can match it to its full form.
func DedupeTitleKey(title string, outlets ...string) string {
	for range 3 {
		if strings.IndexByte(title, '&') < 0 {
			break
		}
		u := html.UnescapeString(title)
		if u == title {
			break
		}
		title = u
	}
	title = strings.TrimSpace(title)
	truncated := false
	for _, e := range []string{"…", "..."} {
		if strings.HasSuffix(title, e) {
			title, truncated = strings.TrimSpace(strings.TrimSuffix(title, e)), true
			break
		}
	}
	title = cutPrefix(title, outlets)
	title = cutSuffix(title, outlets)
	key := foldLetters(TitleKey(title))
	if truncated {
		if i := strings.LastIndexByte(key, ' '); i > 0 {
			key = key[:i] + " …"
		}
	}
	return key
}

// cutPrefix removes up to two labels ("UPDATE 2-", "AP:") from the start.
func cutPrefix(title string, outlets []string) string {
	for range 2 {
		head := title[:min(len(title), maxAffixBytes)]
		i := strings.IndexAny(head, ":-")
		if i <= 0 || i+1 >= len(title) {
			return title
		}
		if title[i] == '-' && title[i-1] == ' ' {
			return title // " - " separates, it does not end a label
		}
		k := TitleKey(title[:i])
		if j := strings.LastIndexByte(k, ' '); j > 0 && isDigits(k[j+1:]) {
			k = k[:j] // "UPDATE 2"
		}
		if !titlePrefixes[k] && !isOutlet(k, outlets) {
			return title
		}
		title = strings.TrimSpace(title[i+1:])
	}
	return title
}

// cutSuffix removes an outlet's name after " - ", " | ", " – ", " — " or
// in final parentheses, twice at most.
func cutSuffix(title string, outlets []string) string {
	for range 2 {
		tail := title[max(0, len(title)-maxAffixBytes):]
		cut := -1
		if strings.HasSuffix(tail, ")") {
			if i := strings.LastIndex(tail, " ("); i >= 0 {
				inner := tail[i+2 : len(tail)-1]
				if strings.Contains(inner, "/") || isOutlet(TitleKey(inner), outlets) {
					cut = len(title) - len(tail) + i
				}
			}
		}
		for _, sep := range []string{" - ", " | ", " – ", " — "} {
			if cut >= 0 {
				break
			}
			if i := strings.LastIndex(tail, sep); i >= 0 && isOutlet(TitleKey(tail[i+len(sep):]), outlets) {
				cut = len(title) - len(tail) + i
			}
		}
		if cut <= 0 {
			return title
		}
		title = strings.TrimSpace(title[:cut])
	}
	return title
}

// isOutlet reports whether k (a TitleKey) names a known outlet, one of
// outlets, or one of the parts of one of outlets.
func isOutlet(k string, outlets []string) bool {
	if k == "" {
		return false
	}
	if knownOutlets[k] {
		return true
	}
	for _, o := range outlets {
		if o == "" {
			continue
		}
		if TitleKey(o) == k {
			return true
		}
		if strings.ContainsAny(o, outletSeps) {
			for p := range strings.FieldsFuncSeq(o, func(r rune) bool { return strings.ContainsRune(outletSeps, r) }) {
				if TitleKey(p) == k {
					return true
				}
			}
		}
	}
	return false
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// foldLetters joins runs of one-letter words of a TitleKey ("u s" -> "us",
// "c d c" -> "cdc") and a lone "s" to the word before it ("fed s" ->
// "feds"), so that abbreviations and possessives compare alike however
// they were punctuated.
func foldLetters(k string) string {
	if !hasLetterWord(k) {
		return k // most titles: no work, no allocation
	}
	words := strings.Split(k, " ")
	out := words[:0]
	single := func(w string) bool { return len(w) == 1 && w[0] >= 'a' && w[0] <= 'z' }
	prevSingle := false
	for _, w := range words {
		switch {
		case len(out) > 0 && single(w) && (prevSingle || w == "s"):
			out[len(out)-1] += w
		default:
			out = append(out, w)
		}
		prevSingle = single(w)
	}
	return strings.Join(out, " ")
}

// hasLetterWord reports whether a TitleKey has a one-letter word after its
// first, the only case foldLetters changes.
func hasLetterWord(k string) bool {
	for i := 1; i+1 < len(k); i++ {
		if k[i] == ' ' && k[i+1] >= 'a' && k[i+1] <= 'z' && (i+2 == len(k) || k[i+2] == ' ') {
			return true
		}
	}
	return false
}

// ampless is a path without its AMP marks (a ".amp" suffix, "amp"
// segments) and trailing slashes, removed until none is left, so that a
// key is its own key ("/x.amp/" is "/x", not "/x.amp").
func ampless(path string) string {
	for {
		p := strings.TrimSuffix(strings.TrimRight(path, "/"), ".amp")
		if strings.Contains(p, "/amp") {
			segs := strings.Split(p, "/")
			segs = slices.DeleteFunc(segs, func(s string) bool { return s == "amp" })
			p = strings.Join(segs, "/")
		}
		p = strings.TrimRight(p, "/")
		if p == path {
			return p
		}
		path = p
	}
}
