"""Cache economics: volatile-content detection, prices, the planner, frozen history, TTL advice."""
