# services/session-query
