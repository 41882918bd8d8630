"""Sync tests: the real central PostgreSQL fixtures (pg, central_ca, central_template, central_url, window)
come from tests/support/central_fixtures.py, a plugin every layer shares, so one cluster serves the session."""
