"""Edges that connect Headroom to agents and frameworks: wrap, Claude Code hooks, SDK and framework adapters."""
