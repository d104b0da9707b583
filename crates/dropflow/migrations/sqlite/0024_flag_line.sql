-- The order line (position) a quantity flag is about: "re-place the difference" buys the
-- extra units of that line only. NULL for flags about a whole purchase or an address.
ALTER TABLE order_flags ADD COLUMN line_position BIGINT;
