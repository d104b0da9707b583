-- A customer's return parcel received at the agent warehouse for an after-sale case (one per
-- case, so a second scan finds it and changes nothing): how it was found (`scan`: the number
-- scanned, or the scan of the unknown parcel `exception_id` linked to the case), who received
-- it and when; then its inspection (core warehouse::inspection::Outcome and the checklist
-- that gave it, as JSON), who made it, and what became of the goods (`restocked` 1, or 0
-- for disposed of; NULL until inspected).
CREATE TABLE warehouse_returns (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases (id),
    order_id TEXT NOT NULL REFERENCES orders (id),
    scan TEXT NOT NULL,
    exception_id TEXT REFERENCES warehouse_exceptions (id),
    received_by TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    outcome TEXT,
    checklist TEXT,
    restocked BIGINT,
    inspected_by TEXT,
    inspected_at BIGINT
);
CREATE UNIQUE INDEX warehouse_returns_by_case ON warehouse_returns (case_id);
CREATE INDEX warehouse_returns_by_scan ON warehouse_returns (scan);
CREATE INDEX warehouse_returns_to_inspect ON warehouse_returns (inspected_at, received_at);
