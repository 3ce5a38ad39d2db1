-- 0012 belongs to the WebSub branch (subscriptions); this stand-in keeps
-- the numbering whole on the archives branch and gives way to it at the
-- merge (the same path: take WebSub's version).
SELECT 1;
