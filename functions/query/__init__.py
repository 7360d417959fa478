"""Query function: the read API (GET /v1/events, GET /v1/events/{eventid}) over the DynamoDB index."""
