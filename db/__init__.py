"""Persistence: SQLAlchemy models, engines and Alembic migrations. Imports nothing from desktop."""
