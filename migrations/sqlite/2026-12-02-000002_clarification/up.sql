-- The requerimiento of the case is an art. 19 devolución (an unclear petition returned to the
-- citizen to clarify within 10 business days; clarified, its term counts from the clarification;
-- not clarified, it is archived), not an art. 17 request to complete.
ALTER TABLE cases ADD COLUMN clarification BOOLEAN NOT NULL DEFAULT FALSE;
