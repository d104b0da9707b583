-- Payment disputes the store tells of (Shopify disputes/create, disputes/update: the REST
-- Dispute resource): a chargeback or an inquiry on an order's payment, with the date the
-- merchant's evidence is due. One row per store dispute; a late delivery of an earlier
-- status never moves it back (dropflow_core::after_sale::dispute::progress).
-- store_dispute_id is the store's own id; kind: chargeback | inquiry; status the store's
-- word (needs_response, under_review, won, …); times in epoch milliseconds.
CREATE TABLE chargebacks (
    id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES orders (id),
    store_id TEXT NOT NULL REFERENCES stores (id),
    store_dispute_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    network_reason_code TEXT,
    amount_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    evidence_due_by BIGINT,
    evidence_sent_on BIGINT,
    finalized_on BIGINT,
    initiated_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX chargebacks_by_store_dispute ON chargebacks (store_id, store_dispute_id);
CREATE INDEX chargebacks_by_order ON chargebacks (order_id);
