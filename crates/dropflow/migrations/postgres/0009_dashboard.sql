-- The dashboard's order search: every alternative is an exact match on an index.
-- Customer names, lower case with single spaces (storage::orders::customer_name_key); filled
-- for orders written from now on (older orders are found by e-mail, number, SKU or tracking).
ALTER TABLE orders ADD COLUMN customer_name TEXT;
CREATE INDEX orders_by_customer_name ON orders (customer_name);
CREATE INDEX order_lines_by_sku ON order_lines (sku);
-- The created-date filter.
CREATE INDEX orders_by_created_at ON orders (created_at);
-- shipments (tracking_number) and supplier_orders (supplier, supplier_account) are indexed
-- already (0004, 0006).
