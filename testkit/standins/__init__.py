"""Local stand-ins for the APIs the ready-made credentials handlers write to (GitHub's REST API,
GitLab's REST API v4), each following its vendor's documentation: endpoints, authentication
headers, error and rate-limit answers. They are HTTP servers on 127.0.0.1 that keep what they
were sent, so tests can check what a target holds."""
