-- Proof of notification (legal engine issue): the stored bounce (messages.id) that reported an
-- outgoing mail undelivered, so the case page can tell "rebotado" from "fallido" and show the
-- bounce. NULL for a mail never bounced. No foreign key: SQLite cannot drop a column that one
-- uses, and the column is only written in the transaction that stores the bounce.
ALTER TABLE outbox ADD COLUMN bounce_message_row_id BIGINT;
