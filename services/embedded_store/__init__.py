"""The embedded MongoDB-wire server used when no MONGODB_URI is given (development and tests)."""
