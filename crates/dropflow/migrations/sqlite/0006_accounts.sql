-- Accounts, users, sessions and per-store tab counts.
--
-- An account is one merchant business: it owns stores; its users see only its stores. The
-- installation starts with the account `default`, which owns every store registered before
-- accounts existed and every store added from the command line.

CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
INSERT INTO accounts (id, name, created_at) VALUES ('default', 'default', 0);

-- (SQLite cannot add a REFERENCES column with a non-NULL default; the code only ever writes
-- existing account ids.)
ALTER TABLE stores ADD COLUMN account_id TEXT NOT NULL DEFAULT 'default';
CREATE INDEX stores_by_account ON stores (account_id);

-- role: owner | staff | warehouse | vendor. A vendor user acts for one manual vendor (the
-- handle in supplier_orders.supplier_account); staff see only the stores in user_stores.
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    email TEXT NOT NULL UNIQUE,
    -- argon2id PHC string (salt and parameters inside); never the password.
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    vendor TEXT,
    created_at BIGINT NOT NULL,
    disabled_at BIGINT
);

CREATE TABLE user_stores (
    user_id TEXT NOT NULL REFERENCES users (id),
    store_id TEXT NOT NULL REFERENCES stores (id),
    PRIMARY KEY (user_id, store_id)
);

-- Browser sessions: only the SHA-256 of the cookie value is stored. The CSRF token is bound
-- to the session and checked on every form post.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX sessions_by_user ON sessions (user_id);

-- A token belongs to a user and acts with that user's role and scope. Tokens made before
-- users existed (user_id NULL) act as an owner of the default account.
ALTER TABLE api_tokens ADD COLUMN user_id TEXT REFERENCES users (id);

-- Tab counts per store, so a user who sees some stores gets counts of those stores only.
CREATE TABLE store_tab_counts (
    store_id TEXT NOT NULL REFERENCES stores (id),
    tab TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (store_id, tab)
);

-- Delivered orders get their own tab (they were counted as Fulfilled).
UPDATE orders SET tab = 'delivered'
WHERE tab = 'fulfilled' AND json_extract(state, '$.procurement') = 'delivered';

INSERT INTO store_tab_counts (store_id, tab, n)
SELECT store_id, tab, COUNT(*) FROM orders GROUP BY store_id, tab;
INSERT INTO store_tab_counts (store_id, tab, n)
SELECT store_id, 'all', COUNT(*) FROM orders GROUP BY store_id;
DROP TABLE tab_counts;

-- Vendors list the supplier orders routed to them.
CREATE INDEX supplier_orders_by_supplier ON supplier_orders (supplier, supplier_account);
