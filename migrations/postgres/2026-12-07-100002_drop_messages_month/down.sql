CREATE INDEX messages_month ON messages (direction, received_month);
