-- The webhook duplicate key includes the topic: Shopify's X-Shopify-Event-Id names an event,
-- and one event can arrive under several topics (orders/create and orders/paid), each to be
-- applied. Keys are stored as '<topic> <key>' from now on (storage::receipts::stored_key);
-- the keys stored before are rewritten the same way so their repeats are still recognised.
UPDATE webhook_receipts SET dedup_key = topic || ' ' || dedup_key;
