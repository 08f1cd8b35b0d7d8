DROP TABLE routing_examples;
