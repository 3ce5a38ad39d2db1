-- 0002: the feed's own categories, kept so `feedloom retag` can re-derive
-- tags under new rules; and a second generation counter that only content
-- writes bump, so another process's fetch-state writes (a 304) do not
-- invalidate this process's rendered feeds.

-- '\n'-joined, at most 100 entries of at most 200 bytes (storage caps them).
ALTER TABLE articles ADD COLUMN categories TEXT NOT NULL DEFAULT '';

-- meta.generation: bumped by every write transaction; content_generation:
-- bumped by those that change articles, tags, related lists or sources.
ALTER TABLE meta ADD COLUMN content_generation INTEGER NOT NULL DEFAULT 0;
