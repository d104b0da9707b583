-- After a failed inspection (issue 4): a reorder buys the line again, so one order line may
-- have several warehouse items, one per purchase (the failed one and its replacement). An
-- item is unique per supplier order and line instead of per order and line.
-- SQLite cannot drop a table constraint: the table is rebuilt with the same columns.
CREATE TABLE warehouse_items_new (
    id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES orders (id),
    supplier_order_id TEXT NOT NULL REFERENCES supplier_orders (id),
    line_position BIGINT NOT NULL,
    title TEXT NOT NULL,
    quantity BIGINT NOT NULL,
    state TEXT NOT NULL,
    outcome TEXT,
    checklist TEXT,
    arrived_at BIGINT,
    package_id TEXT,
    updated_at BIGINT NOT NULL,
    UNIQUE (supplier_order_id, line_position)
);
INSERT INTO warehouse_items_new (id, order_id, supplier_order_id, line_position, title,
    quantity, state, outcome, checklist, arrived_at, package_id, updated_at)
SELECT id, order_id, supplier_order_id, line_position, title, quantity, state, outcome,
    checklist, arrived_at, package_id, updated_at FROM warehouse_items;
DROP TABLE warehouse_items;
ALTER TABLE warehouse_items_new RENAME TO warehouse_items;
CREATE INDEX warehouse_items_by_supplier_order ON warehouse_items (supplier_order_id);
CREATE INDEX warehouse_items_by_order ON warehouse_items (order_id, line_position);

-- The operator's refund rules (TOML, validated by core warehouse::refunds); none = the sample.
CREATE TABLE warehouse_refund_rules (
    id TEXT PRIMARY KEY,
    rules TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
