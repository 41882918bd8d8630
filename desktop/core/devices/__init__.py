"""Counter devices (the ID card reader); Qt-free, so the CLI and tests drive them without a GUI."""
