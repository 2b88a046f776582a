"""The MCP server: headroom_retrieve, headroom_compress and headroom_stats as MCP tools."""
