"""Helpers of `benchmarks/proxy_overhead.py`: payloads, server processes, measurements."""
