-- The MTA pipe's spool (`pqrs ingest`): the raw mail is stored here and the command exits 0 once
-- it is committed; the service's `spool` worker files it through the intake pipeline and marks
-- the row processed with the outcome (JSON) in the filing's transaction. A row is claimed with a
-- lease (`claimed_until`, `attempts` as the compare-and-set version), so two instances never
-- take the same one; a temporary failure waits until `next_attempt_at`.
CREATE TABLE inbound_spool (
    id BIGSERIAL PRIMARY KEY,
    raw BYTEA NOT NULL,
    source TEXT NOT NULL,
    source_ref TEXT,
    spooled_at TIMESTAMP NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    claimed_until TIMESTAMP,
    processed_at TIMESTAMP,
    outcome TEXT,
    last_error TEXT
);
CREATE INDEX inbound_spool_pending ON inbound_spool(next_attempt_at) WHERE processed_at IS NULL;
CREATE INDEX inbound_spool_processed ON inbound_spool(processed_at);
