package fastsan

import "testing"

// finish trusts maxEscapedLen as a bound on how much escaping grows text.
func TestMaxEscapedLen(t *testing.T) {
	longest := 1
	for _, e := range htmlEscapes {
		longest = max(longest, len(e))
	}
	if longest != maxEscapedLen {
		t.Errorf("longest escape is %d bytes, maxEscapedLen is %d", longest, maxEscapedLen)
	}
}

// Every element the policy allows has an id, and only the void ones are void.
func TestTagIDs(t *testing.T) {
	for _, e := range Elements {
		if id, ok := tagID[e]; !ok || isVoid(id) || tagNames[id] != e {
			t.Errorf("element %q: id %d, %v", e, id, ok)
		}
	}
	for _, e := range VoidElements {
		if id, ok := tagID[e]; !ok || !isVoid(id) || tagNames[id] != e {
			t.Errorf("void element %q: id %d, %v", e, id, ok)
		}
	}
}
