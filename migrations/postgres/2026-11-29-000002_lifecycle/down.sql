DROP TABLE alerts_sent;
ALTER TABLE cases DROP COLUMN response_radicado;
ALTER TABLE cases DROP COLUMN transferred_to;
ALTER TABLE cases DROP COLUMN extended_at;
ALTER TABLE cases DROP COLUMN original_due_date;
ALTER TABLE cases DROP COLUMN suspended_on;
ALTER TABLE cases DROP COLUMN assigned_to;
