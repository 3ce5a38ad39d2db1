package feeds

// ArchiveIndex is the shape of one feed's RFC 5005 archive. Pages are
// numbered from 1, the oldest; every page but the newest is sealed: its
// membership was fixed when it filled and never changes (retention can
// only take articles out of it). The newest, page Sealed+1, is open: it
// takes the articles that arrive until it fills and is sealed in turn.
type ArchiveIndex struct {
	// Sealed is the number of sealed pages.
	Sealed int
	// Oldest is the oldest page that still holds an article: retention
	// emptied every page before it. Sealed+1 when no article is left.
	Oldest int
	// Open is how many articles the open page holds now (at most the page
	// size).
	Open int
}

// Exists reports whether the feed has an archive: any page was sealed or
// the open page holds an article.
func (x ArchiveIndex) Exists() bool { return x.Sealed > 0 || x.Open > 0 }

// Newest is the number of the newest page, the open one; 0 when there is
// no archive.
func (x ArchiveIndex) Newest() int {
	if !x.Exists() {
		return 0
	}
	return x.Sealed + 1
}
