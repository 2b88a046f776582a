"""`headroom wrap AGENT`: run a coding agent through the Headroom proxy, never stranded.

- `base`: the `Agent` protocol, `Launch` and the registry of agents;
- `proxy_process`: reuse a healthy proxy or start one detached;
- `manifest`: what `--persist` changed, so `unwrap` restores it byte for byte;
- `json_config`: editing the agents' JSON config files for `--persist`;
- `claude`, `codex`, `aider`, `opencode`: one spec per agent;
- `cli`: the `wrap` and `unwrap` commands.
"""
