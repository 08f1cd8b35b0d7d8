-- Every outgoing communication of a case, whatever the channel (DESIGN.md §2): its outgoing
-- radicado (type digit 1, never reused), why it was sent, how it reaches the citizen (`email`;
-- `fisico`: printed and delivered by post or in person; `publicacion`: published, for anonymous
-- petitions), the addressee, the text of the oficio, who signed it, the outbox row of its mail
-- (e-mail only), the stored record holding its attachments (a `messages` row, direction `out`,
-- when it has any) and, once the case is annulled, when and why the number was annulled.
CREATE TABLE communications (
  id BIGSERIAL PRIMARY KEY,
  case_id BIGINT NOT NULL REFERENCES cases (id),
  radicado TEXT NOT NULL UNIQUE,
  purpose TEXT NOT NULL,
  channel TEXT NOT NULL,
  addressee_name TEXT NOT NULL,
  addressee_address TEXT NOT NULL,
  subject TEXT NOT NULL,
  body TEXT NOT NULL,
  created_at TIMESTAMP NOT NULL,
  created_by TEXT NOT NULL,
  outbox_id BIGINT REFERENCES outbox (id),
  message_row_id BIGINT REFERENCES messages (id),
  annulled_at TIMESTAMP,
  annulled_reason TEXT
);
CREATE INDEX communications_case ON communications (case_id, id);
CREATE INDEX communications_outbox ON communications (outbox_id);

-- The mails sent with an outgoing radicado before this table existed are its first rows.
INSERT INTO communications (case_id, radicado, purpose, channel, addressee_name, addressee_address, subject, body,
                            created_at, created_by, outbox_id)
SELECT o.case_id, o.radicado, o.purpose, 'email', COALESCE(c.citizen_name, ''), o.to_addr, o.subject, o.body_text,
       o.created_at, 'sistema', o.id
FROM outbox o JOIN cases c ON c.id = o.case_id
WHERE o.radicado IS NOT NULL AND o.radicado <> c.radicado AND o.internal = FALSE;
