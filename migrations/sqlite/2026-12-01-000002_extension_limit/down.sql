ALTER TABLE cases DROP COLUMN extension_limit;
