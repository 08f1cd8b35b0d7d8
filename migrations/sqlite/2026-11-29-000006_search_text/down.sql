ALTER TABLE cases DROP COLUMN search_text;
