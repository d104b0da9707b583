-- The spine: stores, tokens, orders with their axes and timeline, webhook receipts, jobs.
-- Times are integer milliseconds since the Unix epoch (UTC); money is integer minor units.
-- Append-only: never edit a migration that has shipped; add a new one.

CREATE TABLE stores (
    id TEXT PRIMARY KEY,
    platform TEXT NOT NULL,
    domain TEXT NOT NULL,
    webhook_secret TEXT NOT NULL,
    -- Shopify signs with the old secret for up to an hour after a rotation: accept both.
    previous_webhook_secret TEXT,
    created_at BIGINT NOT NULL,
    UNIQUE (platform, domain)
);

CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    -- SHA-256 of the token; the token itself is shown once and never stored.
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

-- Every accepted webhook delivery, verbatim. The unique key drops duplicates; timeline events
-- point here for the raw payload.
CREATE TABLE webhook_receipts (
    id TEXT PRIMARY KEY,
    store_id TEXT NOT NULL REFERENCES stores (id),
    dedup_key TEXT NOT NULL,
    topic TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    body TEXT NOT NULL,
    UNIQUE (store_id, dedup_key)
);

CREATE TABLE orders (
    id TEXT PRIMARY KEY,
    store_id TEXT NOT NULL REFERENCES stores (id),
    external_id TEXT NOT NULL,
    name TEXT NOT NULL,
    currency TEXT NOT NULL,
    total_minor BIGINT NOT NULL,
    -- The lifecycle's OrderState as JSON: the truth the transition function reads.
    state TEXT NOT NULL,
    -- Columns derived from `state` on every write, for filtering and indexing.
    tab TEXT NOT NULL,
    payment_status TEXT NOT NULL,
    procurement TEXT NOT NULL,
    -- Optimistic concurrency: every write bumps it and checks the value it read.
    version BIGINT NOT NULL,
    customer TEXT,
    shipping_address TEXT,
    email TEXT,
    store_created_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (store_id, external_id)
);
CREATE INDEX orders_by_tab ON orders (tab, id DESC);
CREATE INDEX orders_by_name ON orders (name);
CREATE INDEX orders_by_email ON orders (email);

CREATE TABLE order_lines (
    order_id TEXT NOT NULL REFERENCES orders (id),
    position BIGINT NOT NULL,
    external_id TEXT NOT NULL,
    product_id TEXT,
    variant_id TEXT,
    sku TEXT,
    title TEXT NOT NULL,
    quantity BIGINT NOT NULL,
    unit_price_minor BIGINT NOT NULL,
    requires_shipping BIGINT NOT NULL,
    PRIMARY KEY (order_id, position)
);

CREATE TABLE order_events (
    id BIGSERIAL PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES orders (id),
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL,
    receipt_id TEXT REFERENCES webhook_receipts (id)
);
CREATE INDEX order_events_by_order ON order_events (order_id, id);

-- The supplier-order axis (filled by routing): one purchase per supplier per order.
CREATE TABLE supplier_orders (
    id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES orders (id),
    -- SupplierKind (aliexpress, cj, manual) and, for manual vendors, which vendor.
    supplier TEXT NOT NULL,
    supplier_account TEXT NOT NULL,
    status TEXT NOT NULL,
    -- Our idempotency key sent to the supplier: reconciliation looks the order up by it.
    attempt_id TEXT NOT NULL UNIQUE,
    external_id TEXT,
    cost_minor BIGINT,
    currency TEXT,
    -- The last thing that went wrong with this purchase, for the merchant.
    last_error TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX supplier_orders_by_order ON supplier_orders (order_id);

-- The shipment axis: one row per shipping leg.
CREATE TABLE shipments (
    id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES orders (id),
    supplier_order_id TEXT REFERENCES supplier_orders (id),
    leg TEXT NOT NULL,
    carrier TEXT,
    tracking_number TEXT,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX shipments_by_order ON shipments (order_id);

CREATE TABLE jobs (
    id BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    -- queued | running | succeeded | failed
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL,
    run_at BIGINT NOT NULL,
    lease_owner TEXT,
    lease_until BIGINT,
    last_error TEXT,
    order_id TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX jobs_ready ON jobs (status, run_at);
CREATE INDEX jobs_by_order ON jobs (order_id);

-- Orders per tab, kept in the same transaction as every order write, so the tab bar never
-- counts a million rows.
CREATE TABLE tab_counts (
    tab TEXT PRIMARY KEY,
    n BIGINT NOT NULL
);
INSERT INTO tab_counts (tab, n) VALUES
    ('all', 0), ('awaiting_order', 0), ('awaiting_payment', 0), ('awaiting_shipment', 0),
    ('fulfilled', 0), ('canceled', 0), ('failed', 0), ('on_hold', 0);
