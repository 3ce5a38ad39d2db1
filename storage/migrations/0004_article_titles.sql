-- 0004: every title an article was seen under, beyond its own title_key, so
-- that dedupe rule (c) (same title within 48h) still finds a story whose row
-- was stored from a re-titled copy and later merged with the original by
-- link. Written only when a merge brings a title the article lacks.
CREATE TABLE article_titles (
  title_key  TEXT    NOT NULL,
  article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
  published  INTEGER NOT NULL,
  PRIMARY KEY (title_key, article_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX article_titles_article ON article_titles (article_id); -- the cascade from articles
