-- The warehouse leg (issue 4): marketplace purchases shipped to dropflow's warehouse, received,
-- inspected, repacked and dispatched internationally once the merchant paid the fee.

-- The leg of one order (core warehouse::stage::WarehouseLeg as JSON); its stage is mirrored
-- in the order's state for the tab.
CREATE TABLE warehouse_legs (
    order_id TEXT PRIMARY KEY REFERENCES orders (id),
    store_id TEXT NOT NULL,
    stage TEXT NOT NULL,
    leg TEXT NOT NULL,
    -- The merchant asked to ship what is here before everything arrived.
    ship_what_is_here BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX warehouse_legs_by_stage ON warehouse_legs (stage);

-- A seller's domestic parcel to the warehouse; never written back to the store.
CREATE TABLE warehouse_inbound (
    id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES orders (id),
    supplier_order_id TEXT NOT NULL REFERENCES supplier_orders (id),
    supplier_ref TEXT,
    carrier TEXT,
    tracking_number TEXT NOT NULL,
    expected_arrival BIGINT,
    received_at BIGINT,
    created_at BIGINT NOT NULL,
    UNIQUE (supplier_order_id, tracking_number)
);
CREATE INDEX warehouse_inbound_by_tracking ON warehouse_inbound (tracking_number);
CREATE INDEX warehouse_inbound_by_order ON warehouse_inbound (order_id);

-- One row per order line bought at the marketplace.
CREATE TABLE warehouse_items (
    id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES orders (id),
    supplier_order_id TEXT NOT NULL REFERENCES supplier_orders (id),
    line_position BIGINT NOT NULL,
    title TEXT NOT NULL,
    quantity BIGINT NOT NULL,
    -- core warehouse::consolidation::ItemState as JSON.
    state TEXT NOT NULL,
    -- core warehouse::inspection::Outcome as JSON, and the checklist that gave it.
    outcome TEXT,
    checklist TEXT,
    arrived_at BIGINT,
    package_id TEXT,
    updated_at BIGINT NOT NULL,
    UNIQUE (order_id, line_position)
);
CREATE INDEX warehouse_items_by_supplier_order ON warehouse_items (supplier_order_id);

-- A scan that matched nothing: kept until someone links it to an order.
CREATE TABLE warehouse_exceptions (
    id TEXT PRIMARY KEY,
    scan TEXT NOT NULL,
    scanned_by TEXT NOT NULL,
    scanned_at BIGINT NOT NULL,
    resolved_order_id TEXT,
    resolved_at BIGINT
);

-- The international parcel.
CREATE TABLE warehouse_packages (
    id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES orders (id),
    store_id TEXT NOT NULL,
    weight_g BIGINT NOT NULL,
    length_cm BIGINT NOT NULL,
    width_cm BIGINT NOT NULL,
    height_cm BIGINT NOT NULL,
    -- Logo and thank-you card put in (store settings).
    branding BIGINT NOT NULL,
    -- core warehouse::rates::Quote list as JSON, as offered at packing.
    quotes TEXT NOT NULL,
    carrier_code TEXT,
    fee_minor BIGINT,
    fee_currency TEXT,
    fee_ledger_ref TEXT,
    fee_paid_at BIGINT,
    label_ref TEXT,
    carrier TEXT,
    tracking_number TEXT,
    shipment_id TEXT,
    dispatch_due_at BIGINT,
    dispatched_at BIGINT,
    late BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX warehouse_packages_by_order ON warehouse_packages (order_id);
CREATE INDEX warehouse_packages_due ON warehouse_packages (dispatch_due_at);

-- The operator's rate tables (TOML, validated by core warehouse::rates); none = the sample.
CREATE TABLE warehouse_rates (
    id TEXT PRIMARY KEY,
    tables TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Per store: the auto-pick rule, auto-pay of the fee, branding.
CREATE TABLE warehouse_settings (
    store_id TEXT PRIMARY KEY,
    auto_pick TEXT,
    auto_pay_fee BIGINT NOT NULL DEFAULT 0,
    branding BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL
);
