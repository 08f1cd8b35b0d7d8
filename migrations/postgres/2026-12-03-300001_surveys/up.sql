-- The satisfaction survey of a case (issue 16): offered with the final answer's mail as a link
-- /encuesta/{token} (only the token's SHA-256 is kept), or entered by staff for a verbal case.
-- One per case. Opening the link writes nothing; the answer fills the four ratings (1 to 5) and
-- the comment once. `recipient` (the address it was mailed to, lower case) serves the rule of one
-- survey per address per `survey_interval_days`; the retention run erases it and the comment.
CREATE TABLE surveys (
    id BIGSERIAL PRIMARY KEY,
    case_id BIGINT NOT NULL UNIQUE REFERENCES cases (id),
    token_sha256 TEXT UNIQUE,
    -- the case's channel when the survey was made (the figures are per channel)
    channel TEXT NOT NULL,
    recipient TEXT,
    created_at TIMESTAMP NOT NULL,
    answered_at TIMESTAMP,
    -- enlace (the citizen, by the link) | presencial | telefonico (entered by staff)
    answered_via TEXT,
    entered_by TEXT,
    satisfaccion INTEGER,
    percepcion INTEGER,
    confianza INTEGER,
    claridad INTEGER,
    comment TEXT
);
CREATE INDEX surveys_recipient ON surveys (recipient, created_at);
CREATE INDEX surveys_answered ON surveys (answered_at);
