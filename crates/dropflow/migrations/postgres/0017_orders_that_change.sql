-- Orders that change (issue 10): what a person must decide after a purchase, and what each
-- purchase and parcel holds of which line.

-- A change after a purchase that a person settles: a quantity or address changed after
-- hand-over, an order cancelled after it was paid or shipped, a placement to link by hand.
-- `kind` is the machine word, `detail` the sentence a merchant reads; a flag is never
-- deleted, only resolved (with what was done and by whom).
CREATE TABLE order_flags (
    id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES orders (id),
    supplier_order_id TEXT REFERENCES supplier_orders (id),
    kind TEXT NOT NULL,
    detail TEXT NOT NULL,
    opened_at BIGINT NOT NULL,
    resolved_at BIGINT,
    resolution TEXT,
    resolved_by TEXT
);
CREATE INDEX order_flags_by_order ON order_flags (order_id, opened_at);

-- The order line's quantity an item was bought for, so an edit after the purchase can be
-- told apart from a bundle's multiplied quantity (NULL: bought before this column).
ALTER TABLE supplier_order_items ADD COLUMN line_quantity BIGINT;

-- Which shipping address the supplier was given (a fingerprint, no personal data): an
-- address edit after hand-over is flagged once per purchase.
ALTER TABLE supplier_orders ADD COLUMN ship_to_fingerprint TEXT;

-- What a parcel holds, line by line (a vendor may ship an order in several parcels).
CREATE TABLE shipment_items (
    shipment_id TEXT NOT NULL REFERENCES shipments (id),
    line_position BIGINT NOT NULL,
    quantity BIGINT NOT NULL,
    PRIMARY KEY (shipment_id, line_position)
);
