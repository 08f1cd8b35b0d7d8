-- The latest date an extension may reach: 2N business days from the effective day, moved by
-- each suspension like the due date (NULL for cases without a term, and for rows filed before).
ALTER TABLE cases ADD COLUMN extension_limit DATE;
