-- Store domains are no longer first come, first served across accounts (issue 12 item 4).
-- A registration is *verified* once its Admin API access has been checked against the shop
-- itself (Shopify shop.json, WooCommerce system_status). Several accounts may hold
-- unverified registrations of one domain; only one registration of a domain may be
-- verified; an account registers a domain once.
ALTER TABLE stores DROP CONSTRAINT stores_platform_domain_key;
-- When the Admin API access was checked against the shop; NULL: unverified.
ALTER TABLE stores ADD COLUMN verified_at BIGINT;
CREATE INDEX stores_by_domain ON stores (platform, domain);
CREATE UNIQUE INDEX stores_domain_per_account ON stores (account_id, platform, domain);
CREATE UNIQUE INDEX stores_verified_domain ON stores (platform, domain)
    WHERE verified_at IS NOT NULL;
