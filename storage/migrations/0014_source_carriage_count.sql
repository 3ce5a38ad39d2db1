-- 0014: every source's carriage count, kept by triggers (issue 20). The
-- count was a correlated count(*) over the source's carriages, which are
-- wide rows (0009): every SourceStates call (each fetch pass, /sources,
-- start-up) and retention's per-source cap read every carriage of the
-- store, a full scan of the largest table that grew with it.
ALTER TABLE sources ADD COLUMN carriage_count INTEGER NOT NULL DEFAULT 0;
UPDATE sources SET carriage_count = (SELECT count(*) FROM carriages c WHERE c.source_id = sources.id);
-- One UPDATE of a small row per new carriage: a few microseconds against an
-- ingest's milliseconds per item. Deletes include retention's cascade from
-- articles and a removed source's cascade.
CREATE TRIGGER carriages_count_ai AFTER INSERT ON carriages BEGIN
    UPDATE sources SET carriage_count = carriage_count + 1 WHERE id = NEW.source_id;
END;
CREATE TRIGGER carriages_count_ad AFTER DELETE ON carriages BEGIN
    UPDATE sources SET carriage_count = carriage_count - 1 WHERE id = OLD.source_id;
END;
