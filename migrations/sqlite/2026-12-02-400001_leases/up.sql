-- Leases of singleton background work across instances (several `pqrs serve` on one database):
-- one row per job (`mailbox:<mailbox>`, `job:follow_up`), held by one instance id until
-- `expires_at`; the holder renews it, another instance takes it once it has expired. Times are
-- UTC, written from the instances' clocks (which must agree to well under the lease time).
CREATE TABLE leases (
    name TEXT PRIMARY KEY NOT NULL,
    holder TEXT NOT NULL,
    acquired_at TIMESTAMP NOT NULL,
    renewed_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
