-- The store side of the catalogue (issue 15). store_variants: each variant as the store
-- showed it when last read or written (platforms::admin_catalogue), and what dropflow last
-- did to it; write_due_at marks one whose suppliers changed since (the writer compares,
-- decides and writes only differences, then clears it if nothing marked it again).
-- mapping_offers: which mappings buy from which supplier SKU, so a supplier's change finds
-- the store variants it moves without reading every mapping (supplier as offer_readings
-- keys it: the kind, or manual:<vendor handle>).
CREATE TABLE store_variants (
    store_id TEXT NOT NULL REFERENCES stores (id),
    variant_id TEXT NOT NULL,
    product_id TEXT NOT NULL,
    sku TEXT,
    title TEXT NOT NULL,
    inventory_item_id TEXT,
    -- In the store's currency (its catalogue policy's).
    price_minor BIGINT NOT NULL,
    -- NULL: the store does not track its stock.
    stock BIGINT,
    published BIGINT NOT NULL,
    -- 1 when dropflow unpublished it (only those are published again on restock).
    unpublished_by_us BIGINT NOT NULL DEFAULT 0,
    read_at BIGINT NOT NULL,
    write_due_at BIGINT,
    -- What dropflow last wrote (inventory::Writes as JSON) and when.
    last_write TEXT,
    last_write_at BIGINT,
    -- The store's refusal of the last write, in its words; cleared by a write that lands.
    write_error TEXT,
    -- A rise above the policy's ceiling, held for a person (the rule's price, minor units),
    -- and the price a person approved (written once the rule still gives it).
    held_price_minor BIGINT,
    approved_price_minor BIGINT,
    PRIMARY KEY (store_id, variant_id)
);
CREATE INDEX store_variants_due ON store_variants (write_due_at);
CREATE INDEX store_variants_by_sku ON store_variants (store_id, sku);

CREATE TABLE mapping_offers (
    store_id TEXT NOT NULL,
    key_kind TEXT NOT NULL,
    key_value TEXT NOT NULL,
    supplier TEXT NOT NULL,
    supplier_sku_id TEXT NOT NULL,
    PRIMARY KEY (store_id, key_kind, key_value, supplier, supplier_sku_id)
);
CREATE INDEX mapping_offers_by_offer ON mapping_offers (supplier, supplier_sku_id);

INSERT INTO mapping_offers (store_id, key_kind, key_value, supplier, supplier_sku_id)
SELECT DISTINCT m.store_id, m.key_kind, m.key_value,
       CASE WHEN o.value -> 'supplier' ->> 'kind' = 'manual'
            THEN 'manual:' || (o.value -> 'supplier' ->> 'account')
            ELSE o.value -> 'supplier' ->> 'kind' END,
       o.value ->> 'supplier_sku_id'
FROM mappings m,
     jsonb_array_elements(m.components::jsonb -> 'components') c,
     jsonb_array_elements(c.value -> 'offers') o;

-- When the store's catalogue was last read whole (NULL: never).
ALTER TABLE stores ADD COLUMN catalogue_read_at BIGINT;
