-- Profit per order (dropflow_core::profit).

-- Every change to the exchange rates, kept: a cost is converted at the rate in force when it
-- was incurred, so setting a rate later changes no figure already incurred. rate NULL: the
-- pair was removed at recorded_at. Rates set before this migration stand for every earlier
-- cost (recorded_at 0): when they were set was not kept.
CREATE TABLE fx_rate_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    base TEXT NOT NULL,
    quote TEXT NOT NULL,
    rate TEXT,
    source TEXT,
    as_of TEXT,
    recorded_at BIGINT NOT NULL
);
CREATE INDEX fx_rate_history_by_time ON fx_rate_history (recorded_at);
INSERT INTO fx_rate_history (base, quote, rate, source, as_of, recorded_at)
SELECT base, quote, rate, source, as_of, 0 FROM fx_rates;

-- A store's payment provider fee: percent_bps basis points of what the customer paid plus
-- fixed_minor (in fixed_currency) per order. No row: the fee is not known, and profit says so.
CREATE TABLE store_payment_fees (
    store_id TEXT PRIMARY KEY REFERENCES stores (id),
    percent_bps BIGINT NOT NULL CHECK (percent_bps >= 0 AND percent_bps <= 10000),
    fixed_minor BIGINT NOT NULL CHECK (fixed_minor >= 0),
    fixed_currency TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Profit reads a page of orders' vendor charges by purchase.
CREATE INDEX vendor_charges_by_supplier_order ON vendor_charges (supplier_order_id);
