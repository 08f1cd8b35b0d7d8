-- PostgreSQL only (the messages → cases foreign key checked at commit); SQLite files a case under
-- its database write lock in one order. Kept so the two migration lists pair.
SELECT 1;
