-- A case opened or reached by a return made in the store (Shopify Returns: returns/request,
-- returns/approve, …): the store's return id, so the later deliveries of that return, which
-- name no order (returns/decline, returns/close, returns/cancel, returns/reopen), and a
-- refunds/create settling it ("return": {"id": …}) find their case; and the return's status
-- as the store last told it (requested, open, declined, closed, canceled), so the same status
-- delivered again changes nothing. One case per store return; NULL for every other case.
ALTER TABLE cases ADD COLUMN store_return_id TEXT;
ALTER TABLE cases ADD COLUMN store_return_status TEXT;
CREATE UNIQUE INDEX cases_by_store_return ON cases (store_id, store_return_id);
