DROP INDEX cases_received;
DROP INDEX outbox_report;
DROP INDEX messages_report;
