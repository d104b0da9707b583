-- The supplier's side of a case is followed: next_sync_at is when the follower next looks at
-- it (the supplier's API, a deadline's warning, the deadline itself), claimed with a
-- compare-and-set like supplier_orders.next_sync_at; NULL when nothing is left to follow.
ALTER TABLE cases ADD COLUMN next_sync_at BIGINT;
CREATE INDEX cases_by_next_sync ON cases (next_sync_at);

-- The purchase whose supplier was asked about the case: a marketplace vendor sees (and
-- answers) the cases about its purchases, no others.
ALTER TABLE cases ADD COLUMN supplier_order_id TEXT REFERENCES supplier_orders (id);
CREATE INDEX cases_by_supplier_order ON cases (supplier_order_id);

-- A purchase bought for a case (a reship or an exchange): its parcel settles the case's
-- replacement instead of being written back to the store as a fulfilment.
ALTER TABLE supplier_orders ADD COLUMN case_id TEXT;
