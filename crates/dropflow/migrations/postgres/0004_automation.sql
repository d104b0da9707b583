-- Supplier automation: per-store settings and write-back credentials, following each
-- supplier order and each parcel.

-- What a store lets dropflow do on its own.
CREATE TABLE store_settings (
    store_id TEXT PRIMARY KEY REFERENCES stores (id),
    -- Place supplier orders as soon as an order is routed (otherwise: Place click / API).
    auto_order BIGINT NOT NULL DEFAULT 1,
    -- Pay placed supplier orders from the wallet at once (otherwise: Pay click / API).
    auto_pay BIGINT NOT NULL DEFAULT 1,
    -- Hold the order instead of buying when a supplier's price is more than this many percent
    -- above the mapped cost; NULL = no guard.
    price_guard_percent BIGINT,
    -- Whether the store e-mails the customer when we push tracking.
    notify_customer BIGINT NOT NULL DEFAULT 1,
    updated_at BIGINT NOT NULL
);

-- Admin API access for writing fulfilments back: Shopify uses admin_key as the access token;
-- WooCommerce uses admin_key / admin_secret as consumer key / secret. Never logged or shown.
ALTER TABLE stores ADD COLUMN admin_url TEXT;
ALTER TABLE stores ADD COLUMN admin_key TEXT;
ALTER TABLE stores ADD COLUMN admin_secret TEXT;

-- Following the supplier: when we last asked and when we ask next (NULL = not followed).
ALTER TABLE supplier_orders ADD COLUMN last_synced_at BIGINT;
ALTER TABLE supplier_orders ADD COLUMN next_sync_at BIGINT;
ALTER TABLE supplier_orders ADD COLUMN placed_at BIGINT;
ALTER TABLE supplier_orders ADD COLUMN paid_at BIGINT;
CREATE INDEX supplier_orders_due ON supplier_orders (next_sync_at);

-- Parcels: the courier recognised from the number and whether its check digit holds, the
-- carrier's last word, and the write-back to the store.
ALTER TABLE shipments ADD COLUMN tracking_url TEXT;
ALTER TABLE shipments ADD COLUMN courier_detected TEXT;
-- valid | invalid (fails its check digit) | unrecognised (no courier's format fits)
ALTER TABLE shipments ADD COLUMN number_check TEXT NOT NULL DEFAULT 'unrecognised';
ALTER TABLE shipments ADD COLUMN sub_status TEXT;
ALTER TABLE shipments ADD COLUMN last_event TEXT;
ALTER TABLE shipments ADD COLUMN last_event_at BIGINT;
ALTER TABLE shipments ADD COLUMN store_fulfilment_id TEXT;
ALTER TABLE shipments ADD COLUMN pushed_at BIGINT;
ALTER TABLE shipments ADD COLUMN last_synced_at BIGINT;
ALTER TABLE shipments ADD COLUMN next_sync_at BIGINT;
CREATE UNIQUE INDEX shipments_once ON shipments (supplier_order_id, tracking_number);
CREATE INDEX shipments_by_number ON shipments (tracking_number);
CREATE INDEX shipments_due ON shipments (next_sync_at);
