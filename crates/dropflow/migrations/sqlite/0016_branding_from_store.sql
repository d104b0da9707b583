-- What goes in a repacked parcel (logo, thank-you card) is the store's branding
-- (store_branding, the dashboard's settings), not a second flag in the warehouse settings.
ALTER TABLE warehouse_settings DROP COLUMN branding;
