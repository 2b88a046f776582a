"""The `headroom_retrieve` tool definition, and adding it to a request.

While compression is on, every request gets the tool at the end of `tools`,
byte-identical on every turn: the tool list is the front of the provider's
prompt cache, so a definition that changed (or came and went) between turns
would make every turn pay for a cache write. That is also why the tool is added
even when `tool_choice` forces another tool or says "none": the model cannot
call it then, and leaving it out would change the prefix for that turn.

The definitions are kept as serialized bytes, so no caller can mutate them,
and each call hands out a fresh copy that serializes to the same bytes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from headroom.providers.registry import canonical
from headroom.proxy.retrieve.calls import TOOL_NAME
from headroom.types import JSONObject

DESCRIPTION = (
    "Get back content Headroom compressed. Where a tool result shows a marker like "
    "[headroom: … headroom_retrieve id=hr_…], pass that id to get the original back; "
    "add a query to get only the lines, rows or sections that match it."
)

_SCHEMA: JSONObject = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "description": "The id from the marker, e.g. hr_3f9a2c1b7e4d."},
        "query": {
            "type": "string",
            "description": "Optional words to match; only the matching parts come back.",
        },
    },
    "required": ["id"],
}

#: Responses tools are strict unless told otherwise, and strict schemas may
#: not have optional properties, so `strict` is written out as false.
_DEFINITIONS: dict[str, bytes] = {
    "anthropic": orjson.dumps(
        {"name": TOOL_NAME, "description": DESCRIPTION, "input_schema": _SCHEMA}
    ),
    "openai-chat": orjson.dumps(
        {
            "type": "function",
            "function": {"name": TOOL_NAME, "description": DESCRIPTION, "parameters": _SCHEMA},
        }
    ),
    "openai-responses": orjson.dumps(
        {
            "type": "function",
            "name": TOOL_NAME,
            "description": DESCRIPTION,
            "parameters": _SCHEMA,
            "strict": False,
        }
    ),
}


def tool_definition(provider: str) -> JSONObject:
    """The tool as `provider`'s `tools` entry; the same bytes on every call."""
    return dict(orjson.loads(_DEFINITIONS[canonical(provider)]))


def add_tool(body: Mapping[str, Any], provider: str) -> JSONObject:
    """A copy of `body` with the tool at the end of `tools`; `body` is not touched.

    Only `tools` is a new list; every other value is the body's own. A body
    whose tools already hold a `headroom_retrieve`, or whose `tools` is not a
    list, comes back as a plain copy.
    """
    definition = tool_definition(provider)
    tools = body.get("tools")
    if tools is None:
        return {**body, "tools": [definition]}
    if not isinstance(tools, list) or any(tool_name(tool) == TOOL_NAME for tool in tools):
        return dict(body)
    return {**body, "tools": [*tools, definition]}


def tool_name(tool: Any) -> str | None:
    """A tool entry's name in any of the three formats."""
    if not isinstance(tool, Mapping):
        return None
    function = tool.get("function")
    name = function.get("name") if isinstance(function, Mapping) else tool.get("name")
    return name if isinstance(name, str) else None
