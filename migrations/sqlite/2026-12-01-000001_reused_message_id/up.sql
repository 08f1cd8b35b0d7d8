-- A different mail that reuses a Message-ID already stored is filed like any other and flagged.
ALTER TABLE messages ADD COLUMN reused_message_id BOOLEAN NOT NULL DEFAULT FALSE;
