"""What the tests are built from: the Slack stand-ins (Web API, Socket Mode), signing and
sending Slack-shaped requests, the steps of a person in Slack, a production written straight
to the database, real `closedset` processes, and the privacy scan of every call and log line."""
