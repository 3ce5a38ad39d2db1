-- 0009: dedupe by identity keys, and what each carriage was.
-- articles.link_key is the link as dedupe compares it (normalize.LinkKey:
-- no scheme, www./m./amp. host, AMP path or trailing slash), apart from
-- the published link; article_links now holds such keys too. Rows stored
-- before keep their canonical link as key (they miss, never mis-, merges).
-- carriages keep the item each source sent (guid, link, title; '' for the
-- creator, whose item is the article's own until a merge copies it) and the
-- dedupe rule that joined it to its article, for `feedloom explain` and
-- `feedloom export`; rows stored before have ''.
ALTER TABLE articles ADD COLUMN link_key TEXT NOT NULL DEFAULT '';
UPDATE articles SET link_key = link;
DROP INDEX articles_link;
CREATE INDEX articles_link_key ON articles (link_key); -- dedupe (b)
ALTER TABLE carriages ADD COLUMN rule  TEXT NOT NULL DEFAULT '';
ALTER TABLE carriages ADD COLUMN guid  TEXT NOT NULL DEFAULT '';
ALTER TABLE carriages ADD COLUMN link  TEXT NOT NULL DEFAULT '';
ALTER TABLE carriages ADD COLUMN title TEXT NOT NULL DEFAULT '';
