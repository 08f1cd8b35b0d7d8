ALTER TABLE cases DROP COLUMN priority_reason, DROP COLUMN outcome, DROP COLUMN citizen_extension,
  DROP COLUMN completed_on, DROP COLUMN requerimiento_on;
