-- The catalogue writer reads a store's leased variants in variant order
-- (storage::store_variants::leased: store_id, write_due_at = lease, variant_id > after):
-- this index answers it without sorting every due row of every store.
CREATE INDEX store_variants_leased ON store_variants (store_id, write_due_at, variant_id);
