"""Sync tests: the window and the central database, against a real PostgreSQL started by the suite."""
