-- Product mapping and what each supplier order buys.

-- How a store item (matched by variant id or SKU) is bought: components, each with offers.
CREATE TABLE mappings (
    id TEXT PRIMARY KEY,
    store_id TEXT NOT NULL REFERENCES stores (id),
    -- 'variant' or 'sku': what store lines are matched on.
    key_kind TEXT NOT NULL,
    key_value TEXT NOT NULL,
    title TEXT,
    -- dropflow_core::catalog::Mapping as JSON.
    components TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (store_id, key_kind, key_value)
);

CREATE TABLE supplier_order_items (
    supplier_order_id TEXT NOT NULL REFERENCES supplier_orders (id),
    position BIGINT NOT NULL,
    -- The order line this item serves.
    line_position BIGINT NOT NULL,
    supplier_product_id TEXT NOT NULL,
    supplier_sku_id TEXT NOT NULL,
    quantity BIGINT NOT NULL,
    unit_cost_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    product_url TEXT,
    PRIMARY KEY (supplier_order_id, position)
);
