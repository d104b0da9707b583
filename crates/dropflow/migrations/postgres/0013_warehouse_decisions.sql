-- After a failed inspection (issue 4): a reorder buys the line again, so one order line may
-- have several warehouse items, one per purchase (the failed one and its replacement). An
-- item is unique per supplier order and line instead of per order and line.
ALTER TABLE warehouse_items DROP CONSTRAINT warehouse_items_order_id_line_position_key;
ALTER TABLE warehouse_items
    ADD CONSTRAINT warehouse_items_supplier_order_id_line_position_key
    UNIQUE (supplier_order_id, line_position);
CREATE INDEX warehouse_items_by_order ON warehouse_items (order_id, line_position);

-- The operator's refund rules (TOML, validated by core warehouse::refunds); none = the sample.
CREATE TABLE warehouse_refund_rules (
    id TEXT PRIMARY KEY,
    rules TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
