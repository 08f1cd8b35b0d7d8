-- Cases whose department and kind a person confirmed or corrected (triage, a department):
-- labelled examples the routing model is retrained on (routing confidence issue). The text is
-- the case's first incoming message; one row per case, the latest labels win.
CREATE TABLE routing_examples (
    case_id BIGINT PRIMARY KEY NOT NULL REFERENCES cases(id),
    department TEXT NOT NULL,
    kind TEXT NOT NULL,
    labelled_by TEXT NOT NULL,
    labelled_at TIMESTAMP NOT NULL
);
CREATE INDEX routing_examples_labelled_at ON routing_examples(labelled_at);
