DROP TABLE combined_ack_members;
