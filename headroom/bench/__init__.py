"""`headroom bench`: measuring compression and needle retention on a corpus."""
