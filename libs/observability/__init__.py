"""Observability: Prometheus metrics and OpenTelemetry tracing, built per service in its composition root."""
