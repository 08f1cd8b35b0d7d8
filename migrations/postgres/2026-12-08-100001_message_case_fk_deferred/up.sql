-- A message's case is checked when its transaction commits, not at its INSERT. PostgreSQL files a
-- new case's message before it takes the radicado sequence row (with the case id reserved from
-- cases_id_seq, the case row inserted after the number): the row lock that serialises every filing
-- is then held for the small statements only, not for the INSERT of the raw mail (a fifth of the
-- database backend's time on a bulk import). The constraint itself is unchanged.
ALTER TABLE messages ALTER CONSTRAINT messages_case_id_fkey DEFERRABLE INITIALLY DEFERRED;
