"""Alembic migrations of the metadata database (run by database.run_migrations, no alembic.ini)."""
