-- Exchange rates the operator sets (`[fx]` config seeds them, `PUT /api/v1/fx-rates` edits
-- them), shared by every dropflow process: routing converts offer costs with them so money
-- is compared in one currency. 1 base = rate quote; the rate is a decimal string, kept
-- exact; as_of is the day it holds for (YYYY-MM-DD), source where it came from.
CREATE TABLE fx_rates (
    base TEXT NOT NULL,
    quote TEXT NOT NULL,
    rate TEXT NOT NULL,
    source TEXT NOT NULL,
    as_of TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (base, quote)
);

-- Capture policy: 0 = buy once the store captured the money (paid), 1 = buy on an
-- authorization too.
ALTER TABLE store_settings ADD COLUMN buy_when_authorized BIGINT NOT NULL DEFAULT 0;
