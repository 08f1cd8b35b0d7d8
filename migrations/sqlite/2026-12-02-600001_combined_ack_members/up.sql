-- The cases a combined acknowledgement lists (in case id order, the order they joined it). Before,
-- they were found by a LIKE over every acuse_agrupado event's payload, once per filing: quadratic
-- in a bulk import where one sender has many mails, and every case re-rendered at each join.
CREATE TABLE combined_ack_members (
    outbox_id BIGINT NOT NULL REFERENCES outbox (id),
    case_id BIGINT NOT NULL REFERENCES cases (id),
    radicado TEXT NOT NULL,
    -- The case's line in the acknowledgement's list, rendered once when it joins (NULL for rows
    -- carried over from before this table: rendered from the case when needed).
    line TEXT,
    PRIMARY KEY (outbox_id, case_id)
);
INSERT OR IGNORE INTO combined_ack_members (outbox_id, case_id, radicado)
SELECT CAST(json_extract(e.payload, '$.outbox_id') AS INTEGER), e.case_id, c.radicado
FROM case_events e JOIN cases c ON c.id = e.case_id
WHERE e.event_type = 'acuse_agrupado' AND json_valid(e.payload) AND json_extract(e.payload, '$.outbox_id') IS NOT NULL
  AND CAST(json_extract(e.payload, '$.outbox_id') AS INTEGER) IN (SELECT id FROM outbox);
