package parse

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// TestLimitJSONCutsBytes: the items beyond MaxItems are gone from the bytes
// gofeed is given (not only from convert's result), the rest is intact, and
// documents limitJSON cannot read are passed through for gofeed to judge.
func TestLimitJSONCutsBytes(t *testing.T) {
	var items []string
	for i := range MaxItems + 3 {
		items = append(items, fmt.Sprintf(`{"id":"%d"}`, i))
	}
	doc := `{"title":"T","items":[` + strings.Join(items, ", ") + `],"feed_url":"https://e.example/f.json"}`
	out := limitJSON([]byte(doc))
	var got struct {
		Title   string
		FeedURL string `json:"feed_url"`
		Items   []struct{ ID string }
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("cut document is not JSON: %v", err)
	}
	if len(got.Items) != MaxItems || got.Items[MaxItems-1].ID != fmt.Sprint(MaxItems-1) || got.Title != "T" || got.FeedURL == "" {
		t.Fatalf("cut document: %d items, last %+v, title %q, feed_url %q", len(got.Items), got.Items[len(got.Items)-1], got.Title, got.FeedURL)
	}
	for _, bad := range []string{``, `[1,2]`, `{"items":{}}`, `{"items":[1,2`, `{"a":`} {
		if out := limitJSON([]byte(bad)); string(out) != bad {
			t.Errorf("limitJSON(%q) = %q, want it unchanged", bad, out)
		}
	}
}
