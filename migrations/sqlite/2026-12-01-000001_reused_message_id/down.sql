ALTER TABLE messages DROP COLUMN reused_message_id;
