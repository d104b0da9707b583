-- The shipping a purchase's item was bought with (the mapping offer's, once for the item
-- whatever its quantity, minor units of the item's currency): NULL when nothing was on top of
-- the goods. The purchase's cost_minor already includes it; this says how much of it it was.
ALTER TABLE supplier_order_items ADD COLUMN shipping_minor BIGINT;
