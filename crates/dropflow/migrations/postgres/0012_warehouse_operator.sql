-- The warehouse operator's part: a scan nobody expected belongs to the account of the operator
-- who scanned it (listed and resolved per account). NULL: scanned by an installation-level
-- caller (the command line, the demo), seen only at that level.
ALTER TABLE warehouse_exceptions ADD COLUMN account_id TEXT;

-- Scans recorded before accounts were checked: the scanning user's account when the actor
-- (`merchant:user:<e-mail>`) names a user, otherwise the default account (an unowned token acts for it).
UPDATE warehouse_exceptions
SET account_id = COALESCE(
    (SELECT users.account_id FROM users
     WHERE 'merchant:user:' || users.email = warehouse_exceptions.scanned_by),
    'default');

CREATE INDEX warehouse_exceptions_by_account ON warehouse_exceptions (account_id, scanned_at);
