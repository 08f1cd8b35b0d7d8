-- Staff web sessions; only a SHA-256 of the session id is stored.
CREATE TABLE sessions (
  id_hash TEXT PRIMARY KEY NOT NULL,
  user_id BIGINT NOT NULL REFERENCES staff_users (id),
  csrf TEXT NOT NULL,
  created_at TIMESTAMP NOT NULL,
  expires_at TIMESTAMP NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
