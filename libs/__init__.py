"""Code shared by every memgrid service: config, logging, errors, rpc helpers, filters, domain types."""
