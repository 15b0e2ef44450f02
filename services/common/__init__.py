"""The small kit every service shares: settings base, JSON logging, the store, the gRPC server bootstrap."""
