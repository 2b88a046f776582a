"""Edges connecting Headroom to agents and frameworks.

wrap, Claude Code hooks, and the SDK and framework adapters.
"""
