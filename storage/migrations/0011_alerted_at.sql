-- Alerts claimed but never posted (a crash between the two) are looked for among recent claims only.
CREATE INDEX alerted_at ON alerted(at);
