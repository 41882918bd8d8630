"""Benchmarks: scripts run by hand (`python -m tests.benchmarks.bench_...`), not collected by pytest."""
