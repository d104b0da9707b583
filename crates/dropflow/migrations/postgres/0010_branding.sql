-- Dashboard: per-store branding for repacked parcels, the merchant's mail choices, and the
-- indexes behind the home page charts.

-- The logo lives in the database (not in a files directory): it is written in the same
-- transaction as the flags that use it, every process and every backup sees it, and there is
-- no file path to sanitise. It is capped at 512 KiB by the code, so rows stay small.
CREATE TABLE store_branding (
    store_id TEXT PRIMARY KEY REFERENCES stores (id),
    -- PNG or JPEG bytes (checked by magic bytes; SVG is refused: it can carry script).
    logo BYTEA,
    -- image/png | image/jpeg, NULL when there is no logo.
    logo_type TEXT,
    -- Printed on the thank-you card put in repacked parcels (at most 500 characters).
    card_text TEXT NOT NULL DEFAULT '',
    -- What the warehouse puts in the parcel when it repacks.
    include_logo BIGINT NOT NULL DEFAULT 0,
    include_card BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL
);

-- Which merchant mails a store wants (notify::MailKind names). No row = wanted: a new store
-- hears about everything until someone turns a mail off.
CREATE TABLE store_mail_choices (
    store_id TEXT NOT NULL REFERENCES stores (id),
    kind TEXT NOT NULL,
    enabled BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (store_id, kind)
);

-- Orders per day by tab for the stores a user sees: a range of this covering index per store.
CREATE INDEX orders_by_store_created ON orders (store_id, created_at, tab);
-- Payment-to-shipment times: the parcels first recorded in a window of days.
CREATE INDEX shipments_by_created ON shipments (created_at);
