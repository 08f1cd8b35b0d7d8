-- Which instance (`instance_id`) claimed an outbox row in `sending`. A row claimed by an instance
-- whose `instance:<id>` lease has expired (it died) is taken again at once instead of waiting for
-- its 10-minute claim (`db::outbox::claim_next`). NULL: claimed before this column, or never.
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
