"""The window's local SQLite store: models, engine set-up and migrations."""
