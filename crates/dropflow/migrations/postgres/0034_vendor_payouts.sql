-- A manual vendor's earnings and payouts (dropflow_core::payouts). The money itself is in the
-- ledger (`ledger_transactions` / `ledger_postings`, kinds vendor_earning, vendor_mature,
-- vendor_charge, vendor_payout; accounts `vendor:<handle>:pending|available|paid|cost`); these
-- tables hold what the ledger cannot: settings, when each earning becomes available, which
-- payout covers which earning and charge, and the payouts' requests and records.

-- Per vendor of an account: holding period, minimum payout (minor units of each purse's
-- currency), schedule (on_request, weekly, monthly). No row: the defaults (14, 0, on_request).
CREATE TABLE vendor_settings (
    account_id TEXT NOT NULL REFERENCES accounts (id),
    vendor TEXT NOT NULL,
    holding_days BIGINT NOT NULL,
    minimum_minor BIGINT NOT NULL CHECK (minimum_minor >= 0),
    schedule TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, vendor)
);

-- A purse: one per store, currency and vendor, with the running balance of each of its ledger
-- accounts (like `wallets`; storage::ledger::check_balanced proves the two agree). Its row is
-- the lock every movement of the purse takes. `available` alone may be negative (charges
-- carry forward); `cost` is the merchant's side.
CREATE TABLE vendor_purses (
    store_id TEXT NOT NULL,
    currency TEXT NOT NULL,
    vendor TEXT NOT NULL,
    pending_minor BIGINT NOT NULL DEFAULT 0 CHECK (pending_minor >= 0),
    available_minor BIGINT NOT NULL DEFAULT 0,
    paid_minor BIGINT NOT NULL DEFAULT 0 CHECK (paid_minor >= 0),
    cost_minor BIGINT NOT NULL DEFAULT 0,
    -- When the schedule last asked for a payout of this purse.
    last_scheduled_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (store_id, currency, vendor),
    FOREIGN KEY (store_id, currency) REFERENCES wallets (store_id, currency)
);

-- One earning per delivered purchase of a vendor: pending until `available_at`, then moved by
-- the follower (`matured_at`); `payout_id` once a payout's statement covers it.
CREATE TABLE vendor_earnings (
    supplier_order_id TEXT PRIMARY KEY REFERENCES supplier_orders (id),
    order_id TEXT NOT NULL REFERENCES orders (id),
    store_id TEXT NOT NULL,
    currency TEXT NOT NULL,
    vendor TEXT NOT NULL,
    amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
    delivered_at BIGINT NOT NULL,
    available_at BIGINT NOT NULL,
    matured_at BIGINT,
    payout_id TEXT
);
CREATE INDEX vendor_earnings_due ON vendor_earnings (available_at) WHERE matured_at IS NULL;
CREATE INDEX vendor_earnings_by_purse ON vendor_earnings (store_id, currency, vendor, delivered_at);

-- A refund or return a case charged to the vendor (its ledger reference:
-- `<supplier order id>#case:<case id>`); `payout_id` once a payout's statement covers it.
CREATE TABLE vendor_charges (
    reference TEXT PRIMARY KEY,
    supplier_order_id TEXT NOT NULL REFERENCES supplier_orders (id),
    case_id TEXT NOT NULL,
    order_id TEXT NOT NULL REFERENCES orders (id),
    store_id TEXT NOT NULL,
    currency TEXT NOT NULL,
    vendor TEXT NOT NULL,
    amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
    charged_at BIGINT NOT NULL,
    payout_id TEXT
);
CREATE INDEX vendor_charges_by_purse ON vendor_charges (store_id, currency, vendor, charged_at);

-- A payout: requested (by the vendor, or by its schedule), then paid (the merchant recorded
-- method and reference; the ledger's vendor_payout is posted with it) or declined. The
-- statement's opening and closing balances are kept when it is paid. One open request per
-- purse.
CREATE TABLE vendor_payouts (
    id TEXT PRIMARY KEY,
    store_id TEXT NOT NULL,
    currency TEXT NOT NULL,
    vendor TEXT NOT NULL,
    amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
    status TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    requested_at BIGINT NOT NULL,
    decided_by TEXT,
    decided_at BIGINT,
    method TEXT,
    method_reference TEXT,
    note TEXT,
    opening_minor BIGINT,
    closing_minor BIGINT,
    FOREIGN KEY (store_id, currency, vendor) REFERENCES vendor_purses (store_id, currency, vendor)
);
CREATE UNIQUE INDEX vendor_payouts_one_open ON vendor_payouts (store_id, currency, vendor)
    WHERE status = 'requested';
CREATE INDEX vendor_payouts_by_purse ON vendor_payouts (store_id, currency, vendor, requested_at);
