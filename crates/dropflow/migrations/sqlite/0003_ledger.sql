-- The merchant wallet as a double-entry ledger (dropflow_core::ledger).
-- One wallet per store and currency. Its row carries the running balance of each account, so
-- a movement reads and locks one row instead of summing the whole history; the postings stay
-- the truth, and storage::ledger::check_balanced proves the two agree. The CHECKs are the last
-- line of defence: no code path may leave merchant money negative.
CREATE TABLE wallets (
    store_id TEXT NOT NULL REFERENCES stores (id),
    currency TEXT NOT NULL,
    available_minor BIGINT NOT NULL DEFAULT 0 CHECK (available_minor >= 0),
    reserved_minor BIGINT NOT NULL DEFAULT 0 CHECK (reserved_minor >= 0),
    spent_minor BIGINT NOT NULL DEFAULT 0 CHECK (spent_minor >= 0),
    -- The outside world's side: minus what the merchant put in.
    external_minor BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (store_id, currency)
);

CREATE TABLE ledger_transactions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    store_id TEXT NOT NULL,
    currency TEXT NOT NULL,
    -- top_up, reserve, capture, release, refund.
    kind TEXT NOT NULL,
    -- The supplier order (attempt) it is about; NULL only for top-ups.
    reference TEXT,
    created_at BIGINT NOT NULL,
    FOREIGN KEY (store_id, currency) REFERENCES wallets (store_id, currency)
);
-- Each reference is reserved, settled and refunded at most once.
CREATE UNIQUE INDEX ledger_transactions_once
    ON ledger_transactions (store_id, kind, reference) WHERE reference IS NOT NULL;
CREATE INDEX ledger_transactions_by_reference ON ledger_transactions (store_id, reference);
CREATE INDEX ledger_transactions_by_store ON ledger_transactions (store_id, id);

-- Signed amounts; a transaction's postings sum to zero. One posting per account.
CREATE TABLE ledger_postings (
    transaction_id BIGINT NOT NULL REFERENCES ledger_transactions (id),
    account TEXT NOT NULL,
    amount_minor BIGINT NOT NULL,
    PRIMARY KEY (transaction_id, account)
);
