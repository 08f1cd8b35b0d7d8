ALTER TABLE cases DROP COLUMN priority_reason;
ALTER TABLE cases DROP COLUMN outcome;
ALTER TABLE cases DROP COLUMN citizen_extension;
ALTER TABLE cases DROP COLUMN completed_on;
ALTER TABLE cases DROP COLUMN requerimiento_on;
