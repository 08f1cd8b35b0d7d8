-- PostgreSQL only (lz4 compression of large values); SQLite does not compress. Kept so the two migration lists pair.
SELECT 1;
