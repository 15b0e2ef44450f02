"""The REST routes, one module per API area; each translates HTTP <-> gRPC and nothing more."""
