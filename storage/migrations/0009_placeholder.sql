-- 0009: a placeholder on branch firsthour, so that its 0010 applies in a
-- row. The branch given 0009 takes this number: delete this file when
-- merging.
SELECT 1;
