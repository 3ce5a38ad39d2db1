package parse

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// limit checks an XML document's nesting and trims it to what gofeed may
// see: the first MaxItems items (the newest, in feed order) within the
// MaxCost budget, and everything around the items. gofeed would otherwise
// build every item of a 50,000-item feed before convert dropped all but
// MaxItems of them, and hold a tree of every element of the body.
//
// The cut is made on the bytes between the end of the last item kept and
// the end of the last item, so the document stays well formed; anything
// between dropped items (rare channel elements) goes with them.
func limit(data []byte) ([]byte, error) {
	s := scan(data)
	switch {
	case s.deepest > MaxDepth:
		return nil, fmt.Errorf("%w: elements nested more than %d deep", ErrMalformed, MaxDepth)
	case s.lastEnd < 0 || s.keepEnd == s.lastEnd: // nothing to cut
		if s.cost > MaxCost {
			return nil, fmt.Errorf("%w: more than %d elements and attributes outside the items", ErrMalformed, MaxCost)
		}
		return data, nil
	case s.keepEnd < 0: // the first item alone is over the budget
		return nil, fmt.Errorf("%w: the first item has more than %d elements and attributes", ErrMalformed, MaxCost)
	}
	if kept := s.keepCost + s.cost - s.lastCost; kept > MaxCost {
		return nil, fmt.Errorf("%w: more than %d elements and attributes outside the items", ErrMalformed, MaxCost)
	}
	out := make([]byte, 0, s.keepEnd+len(data)-s.lastEnd)
	out = append(out, data[:s.keepEnd]...)
	return append(out, data[s.lastEnd:]...), nil
}

// shape is what scan learns of a document. Offsets are just past an
// item's end tag, -1 when there is none; costs are elements plus
// attributes seen up to that offset.
type shape struct {
	deepest  int
	cost     int
	items    int
	keepEnd  int // end of the last item within MaxItems and MaxCost
	keepCost int
	lastEnd  int // end of the last item
	lastCost int
}

// scan measures an XML document: nesting, cost, and where its items end.
// It stops early when nesting exceeds MaxDepth. It is a tolerant scan
// (comments, CDATA, processing instructions and DOCTYPE skipped), not a
// parser: an item is an element named item or entry (any prefix) at depth
// 2 (RSS 1.0, Atom) or 3 (RSS 2.0).
func scan(data []byte) shape {
	s := shape{keepEnd: -1, lastEnd: -1}
	d := 0
	skipTo := func(i int, end string) int {
		if j := bytes.Index(data[i:], []byte(end)); j >= 0 {
			return i + j + len(end)
		}
		return len(data)
	}
	itemEnd := func(end int) {
		s.items++
		if s.items <= MaxItems && s.cost <= MaxCost {
			s.keepEnd, s.keepCost = end, s.cost
		}
		s.lastEnd, s.lastCost = end, s.cost
	}
	for i := 0; i < len(data); {
		j := bytes.IndexByte(data[i:], '<')
		if j < 0 || i+j+1 >= len(data) {
			break
		}
		i += j + 1
		switch c := data[i]; {
		case c == '/':
			end := skipTo(i, ">")
			if (d == 2 || d == 3) && isItem(data[i+1:end]) {
				itemEnd(end)
			}
			d = max(d-1, 0)
			i = end
		case c == '?':
			i = skipTo(i, "?>")
		case bytes.HasPrefix(data[i:], []byte("!--")):
			i = skipTo(i, "-->")
		case bytes.HasPrefix(data[i:], []byte("![CDATA[")):
			i = skipTo(i, "]]>")
		case c == '!':
			i = skipDecl(data, i)
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '=' || c == '<':
			// a stray '<' in text, not a tag
		default:
			k, quote := i, byte(0)
			s.cost++
			for ; k < len(data); k++ {
				b := data[k]
				if quote != 0 {
					if b == quote {
						quote = 0
					}
					continue
				}
				switch b {
				case '"', '\'':
					quote = b
				case '=':
					s.cost++ // an attribute
				}
				if b == '>' {
					break
				}
			}
			if k >= len(data) {
				return s
			}
			if data[k-1] == '/' {
				if (d == 1 || d == 2) && isItem(data[i:k-1]) {
					itemEnd(k + 1)
				}
			} else {
				d++
				if d > s.deepest {
					s.deepest = d
					if s.deepest > MaxDepth {
						return s
					}
				}
			}
			i = k + 1
		}
	}
	return s
}

// isItem reports whether a tag's text (after '<' or '</', up to '>')
// names an item or entry element, with or without a prefix.
func isItem(tag []byte) bool {
	name := tag
	if k := bytes.IndexAny(name, " \t\r\n/>"); k >= 0 {
		name = name[:k]
	}
	if k := bytes.LastIndexByte(name, ':'); k >= 0 {
		name = name[k+1:]
	}
	return string(name) == "item" || string(name) == "entry"
}

// skipDecl skips a <!DOCTYPE ...> or other declaration, internal subset included.
func skipDecl(data []byte, i int) int {
	level := 0
	for ; i < len(data); i++ {
		switch data[i] {
		case '[':
			level++
		case ']':
			level--
		case '>':
			if level <= 0 {
				return i + 1
			}
		}
	}
	return len(data)
}

// limitJSON trims a JSON Feed to its first MaxItems items before gofeed
// sees it: gofeed decodes every item (a 10 MB feed of small items costs
// many times its size in heap) before convert would drop
// all but MaxItems. The scan only finds the offsets of the top-level
// "items" array; anything it cannot read is left for gofeed to report.
func limitJSON(data []byte) []byte {
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return data
	}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return data
		}
		if key != "items" {
			var skip json.RawMessage
			if dec.Decode(&skip) != nil {
				return data
			}
			continue
		}
		if t, err := dec.Token(); err != nil || t != json.Delim('[') {
			return data
		}
		cut := int64(-1) // just after the last item kept
		for n := 0; dec.More(); n++ {
			var item json.RawMessage
			if dec.Decode(&item) != nil {
				return data
			}
			if n == MaxItems-1 {
				cut = dec.InputOffset()
			}
		}
		if t, err := dec.Token(); err != nil || t != json.Delim(']') || cut < 0 {
			return data
		}
		end := dec.InputOffset() - 1 // the array's closing bracket
		out := make([]byte, 0, int(cut)+len(data)-int(end))
		out = append(out, data[:cut]...)
		return append(out, data[end:]...)
	}
	return data
}
