-- After delivery: a case for some lines of an order (dropflow_core::after_sale), opened by a
-- merchant or by the store (a refund or return made there). `state` is the case's
-- CaseState as JSON; the columns beside it are what lists and deadlines filter on.
-- store_reference: the store's refund or return id that opened the case, so a webhook
-- delivered twice opens it once.
CREATE TABLE cases (
    id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES orders (id),
    store_id TEXT NOT NULL REFERENCES stores (id),
    reason TEXT NOT NULL,
    resolution TEXT NOT NULL,
    state TEXT NOT NULL,
    closed BIGINT NOT NULL DEFAULT 0,
    note TEXT,
    opened_by TEXT NOT NULL,
    store_reference TEXT,
    supplier_due_at BIGINT,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX cases_by_order ON cases (order_id);
CREATE INDEX cases_by_store ON cases (store_id, closed, created_at);
CREATE UNIQUE INDEX cases_by_store_reference ON cases (store_id, store_reference);

-- The units of each order line a case claims (line_position as in order_lines).
CREATE TABLE case_lines (
    case_id TEXT NOT NULL REFERENCES cases (id),
    line_position BIGINT NOT NULL,
    quantity BIGINT NOT NULL,
    PRIMARY KEY (case_id, line_position)
);
