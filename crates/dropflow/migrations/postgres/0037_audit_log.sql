-- Who changed what (issue 16, "Exports and audit"): every change to a store's settings, its
-- SKU mappings, the exchange rates, the warehouse's rules, and every money action, written in
-- the transaction of the change itself (storage::audit::record), so nothing is recorded that
-- did not happen and nothing happens unrecorded. `actor`: `user:<user id>`, `token:<name>`
-- (a token made without a user), `installation` (the command line) or `system`. `before_json`
-- and `after_json`: the subject as JSON before and after (NULL when it did not exist / was
-- removed), secrets replaced by "[redacted]". `id`: UUIDv7, so id order is time order.
CREATE TABLE audit_log (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    store_id TEXT,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject_kind TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    before_json TEXT,
    after_json TEXT,
    at BIGINT NOT NULL
);
CREATE INDEX audit_log_by_account ON audit_log (account_id, id);
CREATE INDEX audit_log_by_subject ON audit_log (account_id, subject_kind, subject_id, id);
