-- A store's catalogue policies (core::inventory::Policy as JSON: the currency its prices are
-- in, the stock to publish, the price rule): NULL until the merchant sets them, read as the
-- defaults for the store's currency. One value read and written whole, never queried inside.
ALTER TABLE stores ADD COLUMN catalogue_policy TEXT;
