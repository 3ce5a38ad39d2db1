-- 0003: fewer index and trigger writes per ingested article (bulk ingest
-- was ~4.5x a plain insert, mostly index pages written per commit).

-- Retention's per-source count cap reads a source's carriages by primary
-- key and sorts them; it runs hourly, ingest runs all the time.
DROP INDEX carriages_newest;

-- Ingest and SetTags count new article_tags rows per tag in Go and add
-- them with one UPDATE per distinct tag instead of one per row. Deletes
-- (retention's cascade, SetTags) still decrement through article_tags_ad.
DROP TRIGGER article_tags_ai;

-- The article count in meta is added once per batch by Ingest (the delete
-- trigger still keeps it right under retention).
DROP TRIGGER articles_ai;

-- Every index entry ends with the rowid, so (published) already orders by
-- (published, id); naming id as a column stored it twice.
DROP INDEX articles_published;
CREATE INDEX articles_published ON articles (published); -- newest first (published desc, id desc), retention by age
