-- Core tables of pqrs (SQLite dialect). The PostgreSQL twin has the same tables, columns and
-- indexes; only id columns (BIGSERIAL there) and BLOB/BYTEA differ. src/db/schema.rs describes both,
-- and tests/schema.rs checks that both migrations produce exactly what schema.rs says.

-- One row; SQLite write transactions touch it first so that they take the write lock up front
-- (a deferred transaction that reads before writing can fail with SQLITE_BUSY instead of waiting).
CREATE TABLE write_lock (
  id BIGINT PRIMARY KEY NOT NULL,
  n BIGINT NOT NULL
);
INSERT INTO write_lock (id, n) VALUES (1, 0);

CREATE TABLE departments (
  code TEXT PRIMARY KEY NOT NULL,
  name TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  email TEXT,
  head_email TEXT,
  active BOOLEAN NOT NULL DEFAULT TRUE
);

-- One consecutive per (year, type digit): 2 incoming, 1 outgoing, 3 internal.
CREATE TABLE radicado_sequences (
  year BIGINT NOT NULL,
  type_digit BIGINT NOT NULL,
  last_value BIGINT NOT NULL,
  PRIMARY KEY (year, type_digit)
);

CREATE TABLE cases (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  radicado TEXT NOT NULL UNIQUE,
  radicado_year BIGINT NOT NULL,
  radicado_seq BIGINT NOT NULL,
  channel TEXT NOT NULL,
  kind TEXT NOT NULL,
  department TEXT NOT NULL,
  status TEXT NOT NULL,
  priority TEXT NOT NULL DEFAULT 'normal',
  tags TEXT NOT NULL DEFAULT '[]',
  needs_review BOOLEAN NOT NULL DEFAULT FALSE,
  subject TEXT NOT NULL,
  citizen_name TEXT,
  citizen_email TEXT,
  citizen_doc_type TEXT,
  citizen_doc_number TEXT,
  citizen_phone TEXT,
  citizen_municipality TEXT,
  received_at TIMESTAMP NOT NULL,
  received_month TEXT NOT NULL,
  effective_date DATE NOT NULL,
  term_days BIGINT,
  due_date DATE,
  routing TEXT NOT NULL DEFAULT '{}',
  entities TEXT NOT NULL DEFAULT '{}',
  linked_radicado TEXT,
  annulled_reason TEXT,
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL,
  responded_at TIMESTAMP,
  closed_at TIMESTAMP,
  UNIQUE (radicado_year, radicado_seq)
);
CREATE INDEX cases_department_status ON cases (department, status, due_date);
CREATE INDEX cases_month ON cases (received_month);
CREATE INDEX cases_citizen_email ON cases (citizen_email);

-- Every message received or accepted by the service, with its raw bytes as the legal record.
CREATE TABLE messages (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  direction TEXT NOT NULL,
  channel TEXT NOT NULL,
  source TEXT NOT NULL,
  dedupe_key TEXT NOT NULL,
  message_id TEXT,
  sha256 TEXT NOT NULL,
  disposition TEXT NOT NULL,
  case_id BIGINT REFERENCES cases (id),
  subject TEXT NOT NULL DEFAULT '',
  from_addr TEXT,
  from_name TEXT,
  to_addrs TEXT NOT NULL DEFAULT '[]',
  in_reply_to TEXT,
  references_ids TEXT NOT NULL DEFAULT '[]',
  received_at TIMESTAMP NOT NULL,
  received_month TEXT NOT NULL,
  body_text TEXT NOT NULL DEFAULT '',
  body_html TEXT,
  headers TEXT NOT NULL DEFAULT '{}',
  raw BLOB NOT NULL,
  raw_size BIGINT NOT NULL,
  created_at TIMESTAMP NOT NULL,
  UNIQUE (direction, dedupe_key)
);
CREATE INDEX messages_month ON messages (direction, received_month);
CREATE INDEX messages_case ON messages (case_id);
CREATE INDEX messages_message_id ON messages (message_id);

-- Attachment metadata; the bytes stay inside the raw message (re-extracted by part index).
CREATE TABLE attachments (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  message_row_id BIGINT NOT NULL REFERENCES messages (id),
  case_id BIGINT REFERENCES cases (id),
  part_index BIGINT NOT NULL,
  filename TEXT NOT NULL,
  content_type TEXT NOT NULL,
  size BIGINT NOT NULL,
  sha256 TEXT NOT NULL,
  kind TEXT NOT NULL,
  created_at TIMESTAMP NOT NULL
);
CREATE INDEX attachments_message ON attachments (message_row_id);
CREATE INDEX attachments_case ON attachments (case_id);

-- Append-only history of a case.
CREATE TABLE case_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  case_id BIGINT NOT NULL REFERENCES cases (id),
  at TIMESTAMP NOT NULL,
  actor TEXT NOT NULL,
  event_type TEXT NOT NULL,
  reason TEXT,
  payload TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX case_events_case ON case_events (case_id, id);

-- Outgoing mail, delivered by a worker (never inside a request or a filing transaction).
CREATE TABLE outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  case_id BIGINT REFERENCES cases (id),
  purpose TEXT NOT NULL,
  internal BOOLEAN NOT NULL DEFAULT FALSE,
  radicado TEXT,
  to_addr TEXT NOT NULL,
  subject TEXT NOT NULL,
  body_text TEXT NOT NULL,
  message_id TEXT NOT NULL UNIQUE,
  in_reply_to TEXT,
  status TEXT NOT NULL,
  attempts BIGINT NOT NULL DEFAULT 0,
  next_attempt_at TIMESTAMP NOT NULL,
  last_error TEXT,
  created_at TIMESTAMP NOT NULL,
  sent_at TIMESTAMP,
  sent_month TEXT
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_sent_month ON outbox (sent_month);
CREATE INDEX outbox_to ON outbox (to_addr, created_at);

-- Mail that could not be parsed or filed: raw bytes and the reason, re-processable.
CREATE TABLE quarantine (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  source TEXT NOT NULL,
  source_ref TEXT,
  sha256 TEXT NOT NULL UNIQUE,
  reason TEXT NOT NULL,
  raw BLOB NOT NULL,
  raw_size BIGINT NOT NULL,
  received_at TIMESTAMP NOT NULL,
  attempts BIGINT NOT NULL DEFAULT 0,
  created_at TIMESTAMP NOT NULL,
  resolved_at TIMESTAMP,
  resolution TEXT
);

-- IMAP checkpoints: the last UID filed for a mailbox under its UIDVALIDITY.
CREATE TABLE mailbox_checkpoints (
  mailbox TEXT PRIMARY KEY NOT NULL,
  uid_validity BIGINT NOT NULL,
  last_uid BIGINT NOT NULL,
  last_success_at TIMESTAMP,
  updated_at TIMESTAMP NOT NULL
);

CREATE TABLE staff_users (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  email TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  role TEXT NOT NULL,
  department TEXT,
  active BOOLEAN NOT NULL DEFAULT TRUE,
  failed_logins BIGINT NOT NULL DEFAULT 0,
  locked_until TIMESTAMP,
  created_at TIMESTAMP NOT NULL
);

-- Bearer tokens; only a SHA-256 of the token is stored.
CREATE TABLE api_tokens (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL,
  user_id BIGINT REFERENCES staff_users (id),
  label TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMP NOT NULL,
  last_used_at TIMESTAMP,
  revoked_at TIMESTAMP
);

-- Who saw or did what with personal data (Ley 1581).
CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  at TIMESTAMP NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  case_id BIGINT REFERENCES cases (id),
  detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_case ON audit_log (case_id);
