-- Covering indexes for the monthly virtual-channel report (counts read from the index alone).
CREATE INDEX messages_report ON messages (direction, received_month, channel);
CREATE INDEX outbox_report ON outbox (status, internal, sent_month);
CREATE INDEX cases_received ON cases (received_at);
