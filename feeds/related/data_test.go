package related_test

import (
	"time"

	"github.com/feedloom/feedloom/feeds/related"
)

// story is one hand-made article of the test desk.
type story struct {
	id    int64
	at    time.Duration // after t0
	title string
	tags  []string
}

var t0 = time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)

const day = 24 * time.Hour

// spamTags is a tag-spammed article's 50 tags: every topic of the desk plus
// 32 tags nobody else uses.
func spamTags() []string {
	tags := []string{"world", "syria", "iraq", "energy", "oil", "sport", "football", "attack",
		"ceasefire", "election", "opec", "baghdad", "aleppo", "health", "politics", "diplomacy",
		"markets", "turkey"}
	for i := range 32 {
		tags = append(tags, "trending-"+string(rune('a'+i%26))+string(rune('a'+i/26)))
	}
	return tags
}

// desk is the hand-made set: stories about Syria, Iraq, energy and sport
// with a "world" tag on everything, a duplicate (same title key), pairs of
// near-identical titles, a tag-spammed article, a sport article tagged
// "attack", articles outside the window, and an exact tie.
func desk() []story {
	return []story{
		{1, 0, "syria ceasefire talks open in geneva", []string{"world", "syria", "ceasefire", "geneva", "diplomacy"}},
		{2, 1 * day, "syria ceasefire talks collapse in geneva", []string{"world", "syria", "ceasefire", "geneva"}},
		{3, 1*day + 12*time.Hour, "syria ceasefire talks collapse in geneva officials say", []string{"world", "syria", "ceasefire", "geneva"}},
		{4, 2 * day, "aleppo shelling resumes after truce fails", []string{"world", "syria", "aleppo", "ceasefire", "attack"}},
		{5, 3 * day, "aleppo hospitals overwhelmed", []string{"world", "syria", "aleppo", "health"}},
		{6, 2 * time.Hour, "syria ceasefire talks open in geneva", []string{"world", "syria", "ceasefire"}},
		{7, 40 * day, "syria reconstruction conference", []string{"world", "syria", "diplomacy"}},
		{8, 2 * day, "iraq election results delayed", []string{"world", "iraq", "election", "politics"}},
		{9, 4 * day, "iraq election results announced", []string{"world", "iraq", "election", "politics", "baghdad"}},
		{10, 5 * day, "baghdad car bomb kills twelve", []string{"world", "iraq", "baghdad", "attack", "security"}},
		{11, 6 * day, "mosul rebuilding slowed by funding gaps", []string{"world", "iraq", "mosul", "reconstruction"}},
		{12, 3 * day, "kurdish oil exports through turkey resume", []string{"world", "iraq", "kurdistan", "oil", "energy", "turkey"}},
		{13, 1 * day, "oil prices surge after opec cuts output", []string{"world", "energy", "oil", "opec", "markets"}},
		{14, 2 * day, "oil prices surge as opec cuts output", []string{"world", "energy", "oil", "opec"}},
		{15, 3 * day, "european gas storage hits record", []string{"world", "energy", "gas", "europe"}},
		{16, 4 * day, "pipeline attack halts iraqi crude flows", []string{"world", "energy", "oil", "pipeline", "iraq", "attack"}},
		{17, 5 * day, "solar capacity doubles in india", []string{"world", "energy", "solar", "india"}},
		{18, 6 * day, "opec meeting ends without deal", []string{"world", "opec", "oil", "diplomacy"}},
		{19, 1 * day, "champions league quarter final draw", []string{"world", "sport", "football", "champions-league"}},
		{20, 2 * day, "strikers late goal sinks rivals", []string{"world", "sport", "football", "attack"}},
		{21, 1 * day, "champions league holders knocked out", []string{"world", "sport", "football", "champions-league"}},
		{22, 4 * day, "tennis star withdraws injured", []string{"world", "sport", "tennis", "health"}},
		{23, 5 * day, "baghdad marathon draws thousands", []string{"world", "sport", "iraq", "baghdad", "athletics"}},
		{24, 2 * day, "everything you need to know today", spamTags()},
		{25, 3 * day, "geneva diplomats prepare for next round", []string{"world", "geneva", "diplomacy"}},
		{26, 4 * day, "turkey central bank raises rates", []string{"world", "turkey", "markets", "economy"}},
		{27, 5 * day, "cholera spreads in aleppo camps", []string{"world", "syria", "aleppo", "health", "cholera"}},
		{28, 6 * day, "iraq election commission faces court challenge", []string{"world", "iraq", "election", "court"}},
		{29, 3 * day, "late news", []string{"world"}},
		{30, 60 * day, "football transfer window opens", []string{"world", "sport", "football"}},
	}
}

// load puts the desk into a new index and rebuilds it.
func load(o related.Options) *related.Index {
	ix := related.New(o)
	for _, s := range desk() {
		ix.Put(s.id, t0.Add(s.at), s.title, s.tags)
	}
	if err := ix.Rebuild(nil); err != nil {
		panic(err)
	}
	return ix
}
