"""gRPC helpers shared by every service: server creation, interceptors, status mapping, clients."""
