-- 0001: feedloom's first schema. Times are INTEGER unix milliseconds, UTC;
-- NULL where a time is unknown. Small columns come first in each row so that
-- reading them never walks a large text's overflow pages.

-- One row: a generation counter bumped by every write transaction, so a
-- process can notice another process's writes (Watch), and the article
-- count, so the query planner in Articles knows N without a scan.
CREATE TABLE meta (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    generation INTEGER NOT NULL DEFAULT 0,
    articles   INTEGER NOT NULL DEFAULT 0
) STRICT;
INSERT INTO meta (id) VALUES (1);

-- Configured sources and their fetch state. A source that leaves the config
-- keeps its row (active = 0) so the articles it carried still name it.
CREATE TABLE sources (
    id            INTEGER PRIMARY KEY,
    name          TEXT    NOT NULL UNIQUE,
    active        INTEGER NOT NULL DEFAULT 1,
    last_fetch    INTEGER,
    last_success  INTEGER,
    next_attempt  INTEGER,
    last_status   INTEGER NOT NULL DEFAULT 0,
    failures      INTEGER NOT NULL DEFAULT 0,
    gone          INTEGER NOT NULL DEFAULT 0,
    item_count    INTEGER NOT NULL DEFAULT 0,
    config_hash   TEXT    NOT NULL DEFAULT '',
    url           TEXT    NOT NULL DEFAULT '',
    redirect_url  TEXT    NOT NULL DEFAULT '',
    etag          TEXT    NOT NULL DEFAULT '',
    last_modified TEXT    NOT NULL DEFAULT '',
    last_error    TEXT    NOT NULL DEFAULT ''
) STRICT;

-- One row per story. AUTOINCREMENT: the id is public (/articles/{id}, feed
-- entry ids) and must never be reused after retention deletes the newest row.
CREATE TABLE articles (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    published    INTEGER NOT NULL,
    first_seen   INTEGER NOT NULL,
    updated      INTEGER,
    related_at   INTEGER,             -- NULL: related list not computed (pending)
    content_hash TEXT    NOT NULL DEFAULT '',
    guid         TEXT    NOT NULL DEFAULT '',
    link         TEXT    NOT NULL DEFAULT '',
    title_key    TEXT    NOT NULL DEFAULT '',
    title        TEXT    NOT NULL DEFAULT '',
    author       TEXT    NOT NULL DEFAULT '',
    summary      TEXT    NOT NULL DEFAULT '',
    content      TEXT    NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX articles_link      ON articles (link);                    -- dedupe (b)
CREATE INDEX articles_title_key ON articles (title_key, published);    -- dedupe (c); covers EachArticleTags
CREATE INDEX articles_published ON articles (published, id);           -- newest first, retention by age
CREATE INDEX articles_pending   ON articles (id) WHERE related_at IS NULL;

-- Which source carried which article, under which item key. published is a
-- copy of articles.published (never changed after insert) so retention can
-- find each source's newest N from one index.
CREATE TABLE carriages (
    source_id    INTEGER NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
    item_key     TEXT    NOT NULL,
    article_id   INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    published    INTEGER NOT NULL,
    first_seen   INTEGER NOT NULL,
    creator      INTEGER NOT NULL DEFAULT 0,  -- 1: this carriage brought the article in
    content_hash TEXT    NOT NULL DEFAULT '', -- what this source sent last time
    PRIMARY KEY (source_id, item_key)
) STRICT, WITHOUT ROWID;
CREATE INDEX carriages_article ON carriages (article_id, source_id);
CREATE INDEX carriages_newest  ON carriages (source_id, published, article_id);

-- Tags, with a use count kept by triggers (popular tags, TagCount, and the
-- planner's document frequency, without scanning article_tags).
CREATE TABLE tags (
    id   INTEGER PRIMARY KEY,
    name TEXT    NOT NULL UNIQUE,
    uses INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE article_tags (
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    tag_id     INTEGER NOT NULL REFERENCES tags (id),
    PRIMARY KEY (article_id, tag_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX article_tags_tag ON article_tags (tag_id, article_id);

CREATE TRIGGER article_tags_ai AFTER INSERT ON article_tags BEGIN
    UPDATE tags SET uses = uses + 1 WHERE id = NEW.tag_id;
END;
CREATE TRIGGER article_tags_ad AFTER DELETE ON article_tags BEGIN
    UPDATE tags SET uses = uses - 1 WHERE id = OLD.tag_id;
END;

-- Stored related-post lists, read with one indexed query per page.
CREATE TABLE related (
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    rank       INTEGER NOT NULL,
    related_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    score      REAL    NOT NULL,
    PRIMARY KEY (article_id, rank)
) STRICT, WITHOUT ROWID;
CREATE INDEX related_related ON related (related_id);

-- The article count, for the planner in Articles and for Stats. (The
-- generation counter is bumped once per write transaction by the code, which
-- all writes go through; a trigger per row would cost more for the same news.)
CREATE TRIGGER articles_ai AFTER INSERT ON articles BEGIN
    UPDATE meta SET articles = articles + 1 WHERE id = 1;
END;
CREATE TRIGGER articles_ad AFTER DELETE ON articles BEGIN
    UPDATE meta SET articles = articles - 1 WHERE id = 1;
END;
