"""The Qt desktop client of a window: the only package that imports PySide6; it calls desktop.core services only."""
