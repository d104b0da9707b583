-- E-mail outbox: one row per mail, written in the transaction of the change that calls for it
-- together with its `outbox.send` job. The row keeps the rendered mail (what is sent is what
-- was decided then); the job delivers it and retries with backoff. Holds personal data
-- (recipient, names, addresses in the bodies): never copied into logs.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id TEXT,
    recipient TEXT NOT NULL,
    -- new_order | supplier_shipped | payment_failed | needs_attention | shipped | delivered
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    text_body TEXT NOT NULL,
    html_body TEXT NOT NULL,
    -- queued | sent | failed (refused for good, or out of tries: retryable by a person)
    status TEXT NOT NULL DEFAULT 'queued',
    attempts BIGINT NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    sent_at BIGINT
);
CREATE INDEX outbox_by_order ON outbox (order_id);
CREATE INDEX outbox_by_status ON outbox (status, id);
