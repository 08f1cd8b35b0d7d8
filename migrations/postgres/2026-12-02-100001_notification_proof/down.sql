ALTER TABLE outbox DROP COLUMN bounce_message_row_id;
