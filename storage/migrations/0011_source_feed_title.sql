-- 0011: the title a source's feed gives itself, '' when none, from its last
-- parsed document (issue 18). A source configured without a title shows it
-- as its name and as the author fallback of its articles, not its slug.
ALTER TABLE sources ADD COLUMN feed_title TEXT NOT NULL DEFAULT '';
