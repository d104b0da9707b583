-- Wallet top-ups paid by card through a payment provider (Stripe Checkout,
-- dropflow_core::card_top_up). The row is written before the provider is asked, so its id is
-- the request's Idempotency-Key and the session's client_reference_id: a lost answer never
-- makes a second payment page, and a payment notice finds the row even then.
-- status: creating | open | failed | paid | refused. amount_minor + currency are what we asked
-- for and what a paid notice credits (the notice's own total is only checked against them).
-- session_id: the provider's (cs_…), unique per provider. ledger_transaction_id: the credit,
-- once paid (the ledger's own unique key on (store, kind, reference) refuses a second one);
-- event_id: the notice that settled it; problem: why it was refused or failed. Times in
-- epoch milliseconds.
CREATE TABLE card_top_ups (
    id TEXT PRIMARY KEY,
    store_id TEXT NOT NULL REFERENCES stores (id),
    provider TEXT NOT NULL,
    currency TEXT NOT NULL,
    amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
    status TEXT NOT NULL,
    session_id TEXT,
    url TEXT,
    requested_by TEXT NOT NULL,
    ledger_transaction_id BIGINT REFERENCES ledger_transactions (id),
    event_id TEXT,
    problem TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX card_top_ups_by_session ON card_top_ups (provider, session_id)
    WHERE session_id IS NOT NULL;
CREATE INDEX card_top_ups_by_store ON card_top_ups (store_id, created_at);
