-- Issue 5 items 6–8: durable consumers of the order-event stream, "needs attention" flags on
-- orders with per-store SLA thresholds, and outbound webhook endpoints.

-- One row per consumer of `order_events` (`notify`, `attention`, `webhook:<endpoint id>`):
-- everything up to `last_event_id` is handled. A process works a cursor only while it holds
-- the lease (owner + expiry, taken by compare-and-set), and advances it with a compare-and-set
-- on `last_event_id` in the transaction of what the events caused.
CREATE TABLE event_cursors (
    name TEXT PRIMARY KEY,
    last_event_id BIGINT NOT NULL,
    lease_owner TEXT,
    lease_until BIGINT,
    updated_at BIGINT NOT NULL
);

-- Needs attention: why (NULL = nothing to do) and since when; when the SLA checks must look
-- at the order again (NULL = nothing can come due); when the customer paid (the SLA clock).
ALTER TABLE orders ADD COLUMN attention_reason TEXT;
ALTER TABLE orders ADD COLUMN attention_since BIGINT;
ALTER TABLE orders ADD COLUMN attention_check_at BIGINT;
ALTER TABLE orders ADD COLUMN paid_at BIGINT;
-- Partial indexes: only flagged / due orders are in them, so the tab, its count and the sweep
-- cost what they return, not the million orders around them.
CREATE INDEX orders_needing_attention ON orders (id) WHERE attention_reason IS NOT NULL;
CREATE INDEX orders_attention_due ON orders (attention_check_at)
    WHERE attention_check_at IS NOT NULL;

-- SLA thresholds per store.
ALTER TABLE store_settings ADD COLUMN place_within_hours BIGINT NOT NULL DEFAULT 24;
ALTER TABLE store_settings ADD COLUMN tracking_within_days BIGINT NOT NULL DEFAULT 7;
ALTER TABLE store_settings ADD COLUMN stale_tracking_hours BIGINT NOT NULL DEFAULT 48;

-- Merchants' endpoints that receive the store's order events (signed with `secret`, which is
-- shown once at creation). The delivery position is the cursor `webhook:<id>`.
CREATE TABLE webhook_endpoints (
    id TEXT PRIMARY KEY,
    store_id TEXT NOT NULL REFERENCES stores (id),
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    -- Failed deliveries in a row (the backoff's exponent), the last failure, and when the
    -- next try is due (NULL = now).
    failures BIGINT NOT NULL DEFAULT 0,
    last_error TEXT,
    next_attempt_at BIGINT,
    last_delivered_at BIGINT
);
CREATE INDEX webhook_endpoints_by_store ON webhook_endpoints (store_id);
