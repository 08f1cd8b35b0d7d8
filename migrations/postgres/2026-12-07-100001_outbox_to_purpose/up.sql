-- The per-sender acknowledgement limit counts a sender's acknowledgements of the last hour
-- (to_addr, purpose, created_at): with purpose in the index the count reads the index alone,
-- instead of one table row per acknowledgement the sender already has (quadratic in a bulk
-- import of many mails from one sender).
DROP INDEX outbox_to;
CREATE INDEX outbox_to ON outbox (to_addr, purpose, created_at);
