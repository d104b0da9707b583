-- Store domains are no longer first come, first served across accounts (issue 12 item 4).
-- A registration is *verified* once its Admin API access has been checked against the shop
-- itself (Shopify shop.json, WooCommerce system_status). Several accounts may hold
-- unverified registrations of one domain; only one registration of a domain may be
-- verified; an account registers a domain once.
--
-- SQLite cannot drop the old UNIQUE (platform, domain), so the table is rebuilt. Inside the
-- migration's transaction foreign keys cannot be switched off, but they can be deferred: the
-- rows the drop orphans are adopted again when the same ids are inserted into the new table,
-- before the commit checks them.
PRAGMA defer_foreign_keys = ON;
CREATE TABLE stores_before_0019 AS SELECT * FROM stores;
DROP TABLE stores;
CREATE TABLE stores (
    id TEXT PRIMARY KEY,
    platform TEXT NOT NULL,
    domain TEXT NOT NULL,
    webhook_secret TEXT NOT NULL,
    previous_webhook_secret TEXT,
    created_at BIGINT NOT NULL,
    admin_url TEXT,
    admin_key TEXT,
    admin_secret TEXT,
    account_id TEXT NOT NULL DEFAULT 'default',
    -- When the Admin API access was checked against the shop; NULL: unverified.
    verified_at BIGINT
);
INSERT INTO stores (id, platform, domain, webhook_secret, previous_webhook_secret, created_at,
        admin_url, admin_key, admin_secret, account_id)
    SELECT id, platform, domain, webhook_secret, previous_webhook_secret, created_at,
        admin_url, admin_key, admin_secret, account_id
    FROM stores_before_0019;
DROP TABLE stores_before_0019;
CREATE INDEX stores_by_account ON stores (account_id);
CREATE INDEX stores_by_domain ON stores (platform, domain);
CREATE UNIQUE INDEX stores_domain_per_account ON stores (account_id, platform, domain);
CREATE UNIQUE INDEX stores_verified_domain ON stores (platform, domain)
    WHERE verified_at IS NOT NULL;
