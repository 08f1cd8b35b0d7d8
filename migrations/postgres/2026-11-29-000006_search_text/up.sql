-- Folded (lower case, no accents) subject, citizen and body of a case, for staff search.
ALTER TABLE cases ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
