"""Domain and services of the window client. Never imports Qt (tests/test_layering.py enforces it)."""
