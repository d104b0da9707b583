-- The catalogue side (issue 15): what each supplier offer's stock and cost were when last
-- read at the supplier, and when to read them next (dropflow_core::inventory::pace). One row
-- per supplier SKU, shared by every store mapping it; routing trusts a reading newer than the
-- mapping's own figure. Every read that found a change is kept in offer_reading_history.
CREATE TABLE offer_readings (
    supplier TEXT NOT NULL,
    supplier_sku_id TEXT NOT NULL,
    supplier_product_id TEXT NOT NULL,
    -- The country the offer is read for (AliExpress prices and stock depend on it).
    ship_to TEXT NOT NULL,
    -- NULL: not read yet, or the supplier does not say.
    stock BIGINT,
    unit_cost_minor BIGINT,
    currency TEXT,
    -- Why the supplier does not sell it any more (no such SKU, not shipped there).
    note TEXT,
    read_at BIGINT,
    changed_at BIGINT,
    refused_for_stock_at BIGINT,
    next_read_at BIGINT NOT NULL,
    PRIMARY KEY (supplier, supplier_sku_id)
);
CREATE INDEX offer_readings_due ON offer_readings (next_read_at);

CREATE TABLE offer_reading_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    supplier TEXT NOT NULL,
    supplier_sku_id TEXT NOT NULL,
    stock BIGINT,
    unit_cost_minor BIGINT,
    currency TEXT,
    read_at BIGINT NOT NULL
);
CREATE INDEX offer_reading_history_by_offer ON offer_reading_history (supplier, supplier_sku_id, read_at);
