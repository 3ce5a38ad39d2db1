package fastsan

import (
	"bytes"
	"fmt"
	"strings"

	"golang.org/x/net/html"
)

// QuickTokensDiffer runs quickTokens and x/net/html's Tokenizer over raw
// side by side and describes the first token they disagree on ("" when
// none), and how many tokens quickTokens returned before it declined or
// ended. Up to its decline, quickTokens must return exactly what
// x/net/html does.
func QuickTokensDiffer(raw string) (diff string, tokens int, declined bool) {
	q := newQuickTokens([]byte(raw))
	z := html.NewTokenizer(strings.NewReader(raw))
	for n := 0; ; n++ {
		qt := q.Next()
		if q.declined {
			return "", n, true
		}
		zt := z.Next()
		if qt != zt {
			return fmt.Sprintf("token %d: type %v, x/net/html %v", n, qt, zt), n, false
		}
		switch qt {
		case html.ErrorToken:
			return "", n, false
		case html.TextToken:
			if a, b := q.Text(), z.Text(); !bytes.Equal(a, b) {
				return fmt.Sprintf("token %d: text %q, x/net/html %q", n, a, b), n, false
			}
		default:
			qn, qa := q.TagName()
			zn, za := z.TagName()
			if !bytes.Equal(qn, zn) || qa != za {
				return fmt.Sprintf("token %d: name %q %v, x/net/html %q %v", n, qn, qa, zn, za), n, false
			}
			for more := qa; more; {
				qk, qv, qm := q.TagAttr()
				zk, zv, zm := z.TagAttr()
				if !bytes.Equal(qk, zk) || !bytes.Equal(qv, zv) || qm != zm {
					return fmt.Sprintf("token %d <%s>: attribute %q=%q %v, x/net/html %q=%q %v", n, qn, qk, qv, qm, zk, zv, zm), n, false
				}
				more = qm
			}
		}
	}
}

// QuickDeclinesAt returns where quickTokens declines raw, or -1.
func QuickDeclinesAt(raw string) int {
	q := newQuickTokens([]byte(raw))
	for q.Next() != html.ErrorToken {
	}
	if q.declined {
		return q.pos
	}
	return -1
}
