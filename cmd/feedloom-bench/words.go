package main

// Vocabulary of the synthetic corpus: enough words that generated headlines
// read like news and almost never repeat, few enough to keep this file short.

var places = []string{
	"Syria", "Iraq", "Ukraine", "Brussels", "Berlin", "Paris", "London", "Madrid", "Rome", "Warsaw",
	"Kyiv", "Moscow", "Ankara", "Cairo", "Tehran", "Riyadh", "Beirut", "Jerusalem", "Gaza", "Amman",
	"Delhi", "Beijing", "Tokyo", "Seoul", "Manila", "Jakarta", "Canberra", "Ottawa", "Washington", "Mexico",
	"Brasilia", "Lagos", "Nairobi", "Pretoria", "Addis", "Khartoum", "Tripoli", "Tunis", "Algiers", "Rabat",
	"Athens", "Vienna", "Prague", "Budapest", "Bucharest", "Sofia", "Belgrade", "Zagreb", "Oslo", "Stockholm",
	"Helsinki", "Copenhagen", "Dublin", "Lisbon", "Geneva", "Zurich", "Baghdad", "Damascus", "Aleppo", "Mosul",
}

var nouns = []string{
	"government", "parliament", "minister", "court", "election", "ceasefire", "talks", "budget", "inflation",
	"oil", "gas", "pipeline", "grid", "drought", "flood", "wildfire", "harvest", "exports", "tariffs", "strike",
	"protest", "coalition", "opposition", "army", "militia", "refugees", "aid", "hospital", "vaccine", "outbreak",
	"school", "university", "bank", "currency", "debt", "bonds", "market", "shares", "startup", "factory",
	"port", "airline", "railway", "bridge", "dam", "reactor", "satellite", "rocket", "summit", "treaty",
	"sanctions", "embassy", "envoy", "president", "mayor", "council", "police", "prison", "verdict", "inquiry",
	"report", "census", "survey", "study", "scientists", "doctors", "teachers", "farmers", "workers", "unions",
	"league", "final", "coach", "striker", "champions", "stadium", "festival", "museum", "film", "album",
}

var verbs = []string{
	"approves", "rejects", "delays", "extends", "suspends", "backs", "blocks", "announces", "unveils", "warns",
	"weighs", "eyes", "cuts", "raises", "freezes", "expands", "halts", "resumes", "signs", "ends",
	"faces", "wins", "loses", "seeks", "targets", "probes", "denies", "confirms", "plans", "launches",
}

var adjectives = []string{
	"new", "major", "record", "surprise", "fragile", "historic", "emergency", "key", "rare", "bitter",
	"disputed", "long-awaited", "sweeping", "modest", "fresh", "final", "early", "late", "regional", "national",
	"global", "local", "quiet", "urgent", "costly", "cautious", "bold", "narrow", "wide", "deadly",
}

var fillers = []string{
	"after", "amid", "over", "despite", "before", "as", "in", "for", "with", "against",
	"on", "under", "near", "across", "following", "ahead of", "without", "beyond", "the", "its",
}

var topics = []string{
	"world", "politics", "economy", "business", "energy", "climate", "health", "science", "technology", "sport",
	"culture", "europe", "middle-east", "asia", "africa", "americas", "conflict", "diplomacy", "elections", "markets",
	"oil", "gas", "trade", "migration", "security", "justice", "education", "transport", "agriculture", "space",
	"football", "tennis", "film", "music", "books", "weather", "disasters", "human-rights", "labour", "media",
}

var outlets = []string{"times", "herald", "post", "daily", "wire", "tribune", "observer", "gazette", "news", "chronicle"}

var authors = []string{
	"Amira Haddad", "Jonas Keller", "Maria Rossi", "Chen Wei", "Olu Adeyemi", "Sara Lindqvist", "Ivan Petrov",
	"Leila Karimi", "Tom Walsh", "Ana Souza", "Kenji Sato", "Nadia Benali", "Piotr Nowak", "Grace Mensah",
}
