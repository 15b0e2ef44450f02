"""The profile service: read models over profiles, their traits and memberships. It never writes."""
