ALTER TABLE messages ALTER CONSTRAINT messages_case_id_fkey NOT DEFERRABLE;
