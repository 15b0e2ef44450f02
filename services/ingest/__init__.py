"""The ingest service: validates tracking messages, resolves them to profiles, stores them, marks profiles due."""
