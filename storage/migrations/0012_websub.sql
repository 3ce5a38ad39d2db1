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
