-- The facts a case's term is computed from, kept for the life of the case (DESIGN.md §2,
-- `pqrs term`): the day a requerimiento (art. 17) was made and the day the citizen completed
-- the petition; whether the citizen asked for the second month (art. 17); the outcome that
-- ended the case, for the Ley 1712 figures; the art. 20 reason for priority.
ALTER TABLE cases ADD COLUMN requerimiento_on DATE;
ALTER TABLE cases ADD COLUMN completed_on DATE;
ALTER TABLE cases ADD COLUMN citizen_extension BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE cases ADD COLUMN outcome TEXT;
ALTER TABLE cases ADD COLUMN priority_reason TEXT;
