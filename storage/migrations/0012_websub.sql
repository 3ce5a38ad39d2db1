-- 0012: WebSub (issue 18). The subscribers of feedloom's own hub: one row
-- per (topic, callback), as the W3C Recommendation keys a subscription.
-- The secret signs deliveries ('' = unsigned); expires is the end of the
-- lease (unix milliseconds, UTC), past which the row is dropped.
CREATE TABLE websub_subscriptions (
    topic    TEXT    NOT NULL,
    callback TEXT    NOT NULL,
    secret   TEXT    NOT NULL DEFAULT '',
    expires  INTEGER NOT NULL,
    created  INTEGER NOT NULL,
    PRIMARY KEY (topic, callback)
) WITHOUT ROWID;
CREATE INDEX websub_subscriptions_expires ON websub_subscriptions (expires);

-- The other side: the hubs feedloom itself subscribed to for sources
-- whose feeds advertise one. token names the callback URL
-- (BASE_URL/websub/callback/TOKEN); expires is 0 until the hub verified
-- the subscription; requested is when it was last asked for.
CREATE TABLE websub_upstream (
    source    TEXT    NOT NULL PRIMARY KEY,
    hub       TEXT    NOT NULL,
    topic     TEXT    NOT NULL,
    token     TEXT    NOT NULL UNIQUE,
    secret    TEXT    NOT NULL,
    expires   INTEGER NOT NULL DEFAULT 0,
    requested INTEGER NOT NULL
) WITHOUT ROWID;
