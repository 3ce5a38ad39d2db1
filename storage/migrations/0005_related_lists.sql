-- 0005: one row per related list instead of one row per entry. A list is
-- computed and written whole, read whole, and several lists change for every
-- new article (its own and those it enters), so writing five rows, their
-- index entries and two foreign-key checks each was a third of a bulk
-- ingest. An entry pointing at a deleted article is skipped when read, and
-- the scheduler rewrites the lists that lost it; no index on the entries is
-- needed for that.
--
-- list: "ID:SCORE" entries in rank order, separated by ','; '' is a list
-- computed empty. An article without a row has no list yet (pending):
-- new, changed, or re-tagged. This replaces articles.related_at, which is
-- left in place unused because dropping a column rewrites every article.
CREATE TABLE related_lists (
    article_id INTEGER PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
    list       TEXT    NOT NULL
) STRICT;

INSERT INTO related_lists (article_id, list)
SELECT a.id, coalesce((SELECT group_concat(r.related_id || ':' || r.score, ',' ORDER BY r.rank)
                       FROM related r WHERE r.article_id = a.id), '')
FROM articles a WHERE a.related_at IS NOT NULL;

DROP TABLE related;
DROP INDEX articles_pending;
