"""Local-store tests: the SQLite engine and its migrations."""
