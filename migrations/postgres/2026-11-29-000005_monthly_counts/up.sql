-- Rollup of the virtual-channel report, maintained in the same transactions that store what it
-- counts (incoming messages, open quarantine records, delivered mail). It can always be rebuilt
-- from those rows (`pqrs report rebuild`), and tests check that both agree.
-- kind: 'in' (incoming, by channel), 'out' (delivered to citizens), 'internal' (staff alerts).
CREATE TABLE monthly_counts (
  month TEXT NOT NULL,
  channel TEXT NOT NULL,
  kind TEXT NOT NULL,
  n BIGINT NOT NULL,
  PRIMARY KEY (month, channel, kind)
);
