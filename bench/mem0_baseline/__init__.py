"""The mem0 OSS library baseline: its own virtualenv (.venv-mem0) and the runner scripts executed inside it
(add_runner.py for `bench add-infer`, search_runner.py for `bench run --mem0-baseline`)."""
