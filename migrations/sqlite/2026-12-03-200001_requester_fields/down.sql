DROP TABLE filing_demographics;
DROP TABLE requester_details;
