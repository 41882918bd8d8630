"""System tests: the product as a user installs and runs it."""
