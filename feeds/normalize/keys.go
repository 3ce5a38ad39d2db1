package normalize

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"

	"github.com/feedloom/feedloom/feeds"
)

// Item key kinds, as prefixes, so keys of different kinds never collide.
const (
	KeyGUID  = "g:" // the item's guid/id
	KeyLink  = "l:" // its canonical link
	KeyTitle = "t:" // a digest of its title key and published date
	KeyHash  = "h:" // a digest of its text, for items with neither title nor date
)

// ItemKeys returns the identity of each item inside the document it came
// in, index for index. Following FreshRSS, the kind is chosen per document,
// not per item, because a feed that repeats or omits guids does so for all
// its items and mixing kinds would make keys change from one fetch to the next:
//
//  1. every item has a guid and no guid repeats: KeyGUID + guid;
//  2. else every item has a canonical link and no link repeats: KeyLink + link;
//  3. else KeyTitle + digest of (TitleKey, published date), or, for an item
//     with neither title nor date, KeyHash + digest of summary and content.
//
// In the third case items whose keys still collide get their text digest
// added, so that distinct items stay distinct (at the price of a new key if
// their text changes).
func ItemKeys(items []feeds.Item) []string {
	keys := make([]string, len(items))
	if fillUnique(keys, items, KeyGUID, func(it feeds.Item) string { return cleanGUID(it.GUID) }) {
		return keys
	}
	if fillUnique(keys, items, KeyLink, func(it feeds.Item) string { return Link(it.Link) }) {
		return keys
	}
	seen := make(map[string]int, len(items))
	for i, it := range items {
		keys[i] = titleDateKey(it)
		seen[keys[i]]++
	}
	for i, it := range items {
		if seen[keys[i]] > 1 {
			keys[i] += "." + textDigest(it)
		}
	}
	return keys
}

// fillUnique sets keys[i] = prefix + f(items[i]) and reports whether every
// value was non-empty and unique.
func fillUnique(keys []string, items []feeds.Item, prefix string, f func(feeds.Item) string) bool {
	seen := make(map[string]bool, len(items))
	for i, it := range items {
		v := f(it)
		if v == "" || seen[v] {
			return false
		}
		seen[v] = true
		keys[i] = prefix + v
	}
	return true
}

// titleDateKey is the third-choice key of one item.
func titleDateKey(it feeds.Item) string {
	tk := TitleKey(Title(it.Title))
	if tk == "" && it.Published.IsZero() {
		return KeyHash + textDigest(it)
	}
	d := ""
	if !it.Published.IsZero() {
		d = strconv.FormatInt(it.Published.Unix(), 10)
	}
	return KeyTitle + digest(tk, d)
}

// textDigest digests what an item says, for items nothing else identifies.
func textDigest(it feeds.Item) string {
	return digest(Text(it.Summary), Text(it.Content))
}

// digest is 128 bits of SHA-256 over NUL-separated parts, in hex.
func digest(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}
