-- What the customer was charged besides the lines, from each store snapshot, in minor units
-- of the order's currency: refunds bound their shipping part by it and profit keeps taxes
-- apart. Orders written before this read zero (the amounts were not kept).
-- taxes_included: 1 when the line and shipping prices already contain taxes_minor.
ALTER TABLE orders ADD COLUMN shipping_minor BIGINT NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN discounts_minor BIGINT NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN taxes_minor BIGINT NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN taxes_included BIGINT NOT NULL DEFAULT 0;
