DROP TABLE monthly_counts;
