package storage_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/feedloom/feedloom/feeds"
)

// TestPopularTags: tags count as popular only when articles of enough
// sources carry them, most used first, and keep can leave tags out.
func TestPopularTags(t *testing.T) {
	db, _ := openDB(t)
	var pod []feeds.Article
	for i := range 6 {
		k := fmt.Sprintf("p%d", i)
		pod = append(pod, art(k, "https://pod.example/"+k, "Episode "+k, t0.Add(-time.Duration(i)*time.Hour), "h"+k, "podcast", "music", "the"))
	}
	ingest(t, db, "pod", t0, pod...)
	ingest(t, db, "news", t0,
		art("n1", "https://news.example/1", "Oil talks", t0, "hn1", "energy", "music", "the"),
		art("n2", "https://news.example/2", "Oil deal", t0, "hn2", "energy", "the"))
	ingest(t, db, "wire", t0, art("w1", "https://wire.example/1", "Pipeline deal", t0, "hw1", "energy", "the"))
	noThe := func(tag string) bool { return tag != "the" }
	cases := []struct {
		name       string
		limit, min int
		keep       func(string) bool
		want       []string
	}{
		{"any source", 10, 1, nil, []string{"the", "music", "podcast", "energy"}},
		{"two sources", 10, 2, nil, []string{"the", "music", "energy"}},
		{"three sources", 10, 3, nil, []string{"the"}},
		{"keep", 10, 2, noThe, []string{"music", "energy"}},
		{"limit", 1, 2, noThe, []string{"music"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := db.PopularTags(context.Background(), tc.limit, tc.min, tc.keep)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, g := range got {
				names = append(names, g.Tag)
			}
			if !slices.Equal(names, tc.want) {
				t.Errorf("PopularTags = %q, want %q", names, tc.want)
			}
		})
	}
}

// TestSourceLanguages: the language saved with a source's fetch state is
// read back by name; sources without one are absent.
func TestSourceLanguages(t *testing.T) {
	db, _ := openDB(t)
	ctx := context.Background()
	for _, st := range []feeds.SourceState{{Name: "ur", URL: "https://ur.example/", Language: "ur"}, {Name: "none", URL: "https://none.example/"}} {
		if err := db.SaveFetchState(ctx, st); err != nil {
			t.Fatal(err)
		}
	}
	got, err := db.SourceLanguages(ctx)
	if err != nil || len(got) != 1 || got["ur"] != "ur" {
		t.Errorf("SourceLanguages = %v, %v; want map[ur:ur]", got, err)
	}
	if st, err := db.SourceState(ctx, "ur"); err != nil || st.Language != "ur" {
		t.Errorf("SourceState(ur).Language = %q, %v", st.Language, err)
	}
}
