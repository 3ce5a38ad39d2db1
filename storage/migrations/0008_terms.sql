-- 0008: the key terms found in an article's text (tags.auto), best first,
-- '\n'-joined. A table of their own: a column appended to articles would
-- sit after the text, and every read of it would walk the text's overflow
-- pages. Written with the article, re-derived by retag.
CREATE TABLE article_terms (
    article_id INTEGER PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
    terms      TEXT    NOT NULL
) STRICT;
