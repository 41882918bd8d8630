"""Core tests: services, documents and rules, with no Qt."""
