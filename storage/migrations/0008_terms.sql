-- 0008: the key terms found in an article's text (tags.auto), best first,
-- '\n'-joined. Kept apart from article_tags: they are many per article, feed
-- the related index and the article page, and are re-derived by retag.
ALTER TABLE articles ADD COLUMN terms TEXT NOT NULL DEFAULT '';
