-- Follow-up state of a case: assignment, suspension (requerimiento), extension, transfer.
ALTER TABLE cases ADD COLUMN assigned_to TEXT;
ALTER TABLE cases ADD COLUMN suspended_on DATE;
ALTER TABLE cases ADD COLUMN original_due_date DATE;
ALTER TABLE cases ADD COLUMN extended_at TIMESTAMP;
ALTER TABLE cases ADD COLUMN transferred_to TEXT;
ALTER TABLE cases ADD COLUMN response_radicado TEXT;

-- Alerts already sent, so that a restart never sends a digest or an escalation twice.
CREATE TABLE alerts_sent (
  alert_key TEXT PRIMARY KEY NOT NULL,
  sent_at TIMESTAMP NOT NULL
);
