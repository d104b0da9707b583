-- More than one package per order (the rest follows a "ship what is here" parcel) and
-- several orders of one store to one customer in one package: which orders each package
-- carries, and the shipment that writes it back to each order's store order.
CREATE TABLE warehouse_package_orders (
    package_id TEXT NOT NULL REFERENCES warehouse_packages (id),
    order_id TEXT NOT NULL REFERENCES orders (id),
    -- The order's `shipments` row for this package, once dispatched.
    shipment_id TEXT,
    PRIMARY KEY (package_id, order_id)
);
CREATE INDEX warehouse_package_orders_by_order ON warehouse_package_orders (order_id);
CREATE INDEX warehouse_package_orders_by_shipment ON warehouse_package_orders (shipment_id);

-- Packages made before: one order each.
INSERT INTO warehouse_package_orders (package_id, order_id, shipment_id)
SELECT id, order_id, shipment_id FROM warehouse_packages;
