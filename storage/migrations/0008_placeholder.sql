-- 0008: a placeholder on branch firsthour, so that its 0010 applies in a
-- row. Main's 0008 (issue 16's terms) takes this number: delete this file
-- when merging.
SELECT 1;
