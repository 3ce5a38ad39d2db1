-- 0006: the ids of articles dedupe merged into another (storage.Ingest's
-- merge), so /articles/{old id} can redirect to the article that took it
-- in instead of answering 404. A chain of merges is kept flat: every old id
-- names the article that exists now.
CREATE TABLE article_aliases (
    old_id     INTEGER PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE
) STRICT;
CREATE INDEX article_aliases_article ON article_aliases (article_id); -- the cascade, and re-pointing on a merge
