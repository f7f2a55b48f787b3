"""The mem0 OSS library baseline: its own virtualenv (.venv-mem0) and a runner script executed inside it."""
