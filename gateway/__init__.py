"""The REST gateway: HTTP <-> gRPC translation, auth, error mapping, OpenAPI. No business logic."""
