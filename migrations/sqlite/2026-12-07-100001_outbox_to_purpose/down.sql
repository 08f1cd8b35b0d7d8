DROP INDEX outbox_to;
CREATE INDEX outbox_to ON outbox (to_addr, created_at);
