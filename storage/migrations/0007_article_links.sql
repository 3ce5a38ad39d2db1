-- 0007: links an article is also known by, besides articles.link (the link
-- of the item that created it): the links of items that joined it by title
-- (dedupe (c)) and of articles merged into it. A later copy under such a
-- link (dedupe (b)) then finds the article: without them, a same-title copy
-- stored first under its own link, joined by the original, left the story's
-- link unknown, and a re-titled copy under that link became a second row.
CREATE TABLE article_links (
    link       TEXT    NOT NULL,
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    PRIMARY KEY (link, article_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX article_links_article ON article_links (article_id); -- the cascade, and re-pointing on a merge
