"""UI tests: the PySide6 client offscreen, driven as a clerk would drive it."""
