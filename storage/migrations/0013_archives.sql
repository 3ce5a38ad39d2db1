-- 0013: the pages of RFC 5005 archived feeds (issue 18 item 4). A page
-- holds the articles its feed matches with first_id <= id <= last_id; its
-- row is written once, when the page fills (sealed), and never changed, so
-- its membership survives restarts and retention deleting older articles.
-- Pages tile the id space of a feed: first_id is the previous page's
-- last_id + 1. Rows outlive the articles they bounded (a page emptied by
-- retention answers 410, not a page renumbered); one row per page, small.
-- feed is the feed's path and filter (storage.archiveKey).
CREATE TABLE archive_pages (
    feed     TEXT    NOT NULL,
    page     INTEGER NOT NULL,  -- 1 = the oldest
    first_id INTEGER NOT NULL,
    last_id  INTEGER NOT NULL,
    PRIMARY KEY (feed, page)
) STRICT, WITHOUT ROWID;
CREATE INDEX archive_pages_last ON archive_pages (feed, last_id); -- the page an article id falls in
