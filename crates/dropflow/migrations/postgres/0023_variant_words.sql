-- The customer's chosen variant in words (issue 11 item 6): a manual vendor picks the goods
-- by hand and sees no store ids. A JSON list of {"name": text or null, "value": text}, as
-- the store sent it (WooCommerce's attribute names and values, Shopify's variant title and
-- line properties). Lines stored before this column read as no words.
ALTER TABLE order_lines ADD COLUMN variant_words TEXT NOT NULL DEFAULT '[]';
