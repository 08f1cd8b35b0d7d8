ALTER TABLE cases DROP COLUMN clarification;
