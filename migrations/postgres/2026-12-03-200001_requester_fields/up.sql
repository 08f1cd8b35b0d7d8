-- Res. MinTIC 1519 de 2020 Anexo 2: who filed and how the answer is to be received, beside the
-- case's citizen fields (name, document, e-mail, phone, municipio). One row per web, API or verbal
-- filing since this migration; mail cases have none.
CREATE TABLE requester_details (
    case_id BIGINT PRIMARY KEY NOT NULL REFERENCES cases (id),
    -- natural | juridica | anonimo | nna
    requester_type TEXT NOT NULL,
    razon_social TEXT,
    -- email | postal (NULL: an anonymous filing that asked for no answer)
    reply_by TEXT,
    postal_address TEXT,
    region TEXT,
    country TEXT,
    -- The version of the data-protection notice (Ley 1581 de 2012) the citizen accepted.
    privacy_notice_version TEXT
);
-- The optional "enfoque diferencial" answers: statistics only, kept apart from the case and never
-- shown on it (aggregated counts only).
CREATE TABLE filing_demographics (
    case_id BIGINT PRIMARY KEY NOT NULL REFERENCES cases (id),
    ethnic_group TEXT,
    disability TEXT,
    conflict_victim TEXT,
    gender TEXT,
    age_range TEXT
);
