"""The outline of a source file: its functions, comment blocks and docstrings, as rows.

Everything is read through tree-sitter queries (which run in C over the whole
tree), so Python touches one object per function and per comment, never every
node. Rows are 0-based line indexes of the code (the gutter, if any, removed).

A `Function` knows which rows of its body may be elided: from the line after
the one its body opens on, through the line that closes it (when that line
holds nothing but closing brackets, `end` or punctuation; otherwise the closing
line stays, because another definition may start on it). A Python docstring's
first line is never part of that range.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, field

from tree_sitter import Node, QueryCursor, Tree

from headroom.compressors.code.grammars import MAX_START_DEPTH, Grammar, grammar

#: Text after a body's end that still lets its closing line be elided: `}`, `});`, `end`, `},`.
_CLOSERS = re.compile(rb"[\s)\]};,]*(?:end\b)?[\s)\]};,]*")
#: Head text, before the body, searched for names when the grammar has no name field.
_HEAD_BYTES = 400
#: Text that may follow a comment or statement on the line it ends on.
_TRAILER = re.compile(rb"[\s;,]*")
_CALLED_NAME = re.compile(rb"([A-Za-z_$][\w$]*)\s*\(")
_WORD_CHAR = re.compile(r"[^\W_]")
_NAME_FIELDS = ("name", "left", "key", "property")
#: Node types that stop the search for the name a function is assigned to.
_SCOPES = frozenset({"program", "module", "source_file", "translation_unit", "block"})
#: Function nodes that may have no name of their own (the name is what they are bound to).
_ANONYMOUS = frozenset(
    {"function_expression", "function", "arrow_function", "generator_function", "func_literal"}
    | {"closure_expression", "lambda_expression", "anonymous_function", "lambda"}
)
#: Wrappers whose start is the start of the definition they wrap.
_WRAPPERS = frozenset({"decorated_definition", "export_statement", "template_declaration"})
#: Module-level statements in a run this long are cut to the first `KEPT_REPEATS`.
MIN_REPEATS = 6
KEPT_REPEATS = 2
_ATTACHED_WORDS = ("comment", "attribute", "decorator", "annotation")


@dataclass(slots=True, eq=False)
class Function:
    """One function-like definition."""

    node: Node
    body: Node
    #: First and last rows of the definition (decorators and wrappers included).
    start: int
    end: int
    #: First and last rows that eliding the body removes (first > last: nothing to elide).
    body_first: int
    body_last: int
    #: Names the definition goes by (its own, and what it is assigned to).
    names: tuple[str, ...]
    #: Rows of the docstring's first line, kept when the body is elided.
    doc_rows: tuple[int, ...] = ()
    children: list[Function] = field(default_factory=list)

    @property
    def elidable_rows(self) -> int:
        return max(0, self.body_last - self.body_first + 1)


@dataclass(frozen=True, slots=True)
class Block:
    """A run of comment lines, or a docstring: `start..end`, the text begins on `first`."""

    start: int
    end: int
    first: int


@dataclass(frozen=True, slots=True)
class Outline:
    language: str
    tree: Tree
    source: bytes
    #: Top-level functions (nested ones hang from their parents).
    functions: list[Function]
    #: Every function, in source order.
    all_functions: list[Function]
    blocks: list[Block]
    #: Long runs of module-level statements: `first` is the last row kept of each.
    repeats: list[Block]
    #: Rows inside ERROR nodes (near the top of the tree; see `MAX_START_DEPTH`).
    error_rows: int


def outline_of(language: str, code: str) -> Outline:
    """The outline of `code` in `language` (one of `grammars.LANGUAGES`).

    Nothing is cached here: a block seen again is answered by the pipeline's
    memo of whole results, so timings measure real parsing work.
    """
    return read_outline(grammar(language), code)


def read_outline(grammar: Grammar, code: str) -> Outline:
    """Parse `code` and read its outline."""
    source = code.encode("utf-8", "surrogatepass")
    lines = code.split("\n")
    tree = grammar.parse(source)
    root = tree.root_node
    cursor = QueryCursor(grammar.outline)
    cursor.set_max_start_depth(MAX_START_DEPTH)
    functions: list[Function] = []
    comments: list[Node] = []
    statements: list[Node] = []
    blocks: list[Block] = []
    error_rows = 0
    for _, captures in cursor.matches(root):
        if "def" in captures:
            functions.append(_function(captures, source, lines, grammar.docstrings))
        elif "comment" in captures:
            comments.extend(captures["comment"])
        elif "statement" in captures:
            statements.extend(captures["statement"])
        elif "error" in captures:
            error_rows += sum(_last_row(e) - e.start_point.row + 1 for e in captures["error"])
        elif "doc" in captures:
            doc = captures["doc"][0]
            blocks.append(_block(doc.start_point.row, _own_last_row(source, doc), lines))
    functions.sort(key=lambda f: (f.node.start_byte, -f.node.end_byte))
    blocks.extend(_comment_blocks(comments, source, lines))
    blocks.sort(key=lambda b: b.start)
    repeats = _repeats(statements, functions, source)
    return Outline(
        grammar.name, tree, source, _nest(functions), functions, blocks, repeats, error_rows
    )


def _repeats(statements: list[Node], functions: list[Function], source: bytes) -> list[Block]:
    """Runs of `MIN_REPEATS` or more adjacent sibling statements that define no function.

    Each run keeps its first `KEPT_REPEATS` statements as a sample of the rest.
    """
    starts = sorted(f.node.start_byte for f in functions)
    runs: list[Block] = []
    run: list[Node] = []
    for statement in sorted(statements, key=lambda s: s.start_byte):
        if run and (_holds_any(starts, statement) or not _follows(run[-1], statement)):
            _close(run, runs, source)
            run = []
        if not _holds_any(starts, statement):
            run.append(statement)
    _close(run, runs, source)
    return runs


def _close(run: list[Node], runs: list[Block], source: bytes) -> None:
    if len(run) >= MIN_REPEATS:
        kept = _last_row(run[KEPT_REPEATS - 1])
        runs.append(Block(run[0].start_point.row, _own_last_row(source, run[-1]), kept))


def _holds_any(starts: list[int], node: Node) -> bool:
    at = bisect_left(starts, node.start_byte)
    return at < len(starts) and starts[at] < node.end_byte


def _follows(previous: Node, node: Node) -> bool:
    """True when `node` is the next sibling of `previous`, at most one blank line below it."""
    return previous.parent == node.parent and node.start_point.row <= _last_row(previous) + 2


def _function(
    captures: dict[str, list[Node]], source: bytes, lines: list[str], docstrings: bool
) -> Function:
    node, body = captures["def"][0], captures["body"][0]
    first, last, end = _body_rows(node, body, source)
    doc_rows: tuple[int, ...] = ()
    doc = _docstring(body) if docstrings else None
    if doc is not None:
        block = _block(doc.start_point.row, _last_row(doc), lines)
        doc_rows = tuple(range(block.start, block.first + 1))
        first = max(first, block.first + 1)
    start = node.start_point.row
    if node.parent is not None and node.parent.type in _WRAPPERS:
        start = node.parent.start_point.row
    names = _names(node, body, captures.get("name"), source)
    return Function(node, body, start, end, first, last, names, doc_rows)


def _body_rows(node: Node, body: Node, source: bytes) -> tuple[int, int, int]:
    """The first and last elidable rows of a body, and the definition's last row."""
    first = body.start_point.row
    if first == node.start_point.row or _before(source, body):
        first += 1
    head = body.prev_sibling
    while head is not None and "comment" in head.type:
        head = head.prev_sibling
    if head is not None and head.end_point.row + 1 < first:  # comments before the first statement
        first = head.end_point.row + 1
    last = end = _last_row(node)
    if end == node.end_point.row and _CLOSERS.fullmatch(_after(source, node)) is None:
        last -= 1
    return first, last, end


def _names(node: Node, body: Node, captured: list[Node] | None, source: bytes) -> tuple[str, ...]:
    """The definition's own name, or the names called in its head, or what it is bound to."""
    if captured:
        found = [captured[0].text or b""]
    else:
        head = source[node.start_byte : min(body.start_byte, node.start_byte + _HEAD_BYTES)]
        found = _CALLED_NAME.findall(head)
    if not found or node.type in _ANONYMOUS:
        found += _assigned_to(node)
    return tuple(dict.fromkeys(n.decode("utf-8", "replace")[:200] for n in found if n))


def _before(source: bytes, node: Node) -> bytes:
    """The text before `node` on its first line."""
    line_start = source.rfind(b"\n", 0, node.start_byte) + 1
    return source[line_start : node.start_byte].strip()


def _after(source: bytes, node: Node) -> bytes:
    """The text after `node` on its last line."""
    line_end = source.find(b"\n", node.end_byte)
    return source[node.end_byte : line_end if line_end >= 0 else len(source)]


def _docstring(body: Node) -> Node | None:
    for i in range(min(body.named_child_count, 3)):
        child = body.named_child(i)
        if child.type == "string":
            return child
        if (
            child.type == "expression_statement"
            and child.named_child_count
            and child.named_child(0).type == "string"
        ):
            return child
        if "comment" not in child.type:
            return None
    return None


def _assigned_to(node: Node) -> list[bytes]:
    """The name an anonymous function is bound to (`x = function…`, `key: () => …`)."""
    parent = node.parent
    for _ in range(3):
        if parent is None or parent.type in _SCOPES:
            return []
        for name in _NAME_FIELDS:
            child = parent.child_by_field_name(name)
            if child is not None and child.end_byte <= node.start_byte:
                return [child.text or b""]
        parent = parent.parent
    return []


def _nest(functions: list[Function]) -> list[Function]:
    """Hang each function from the innermost function whose body holds it."""
    top: list[Function] = []
    stack: list[Function] = []
    for function in functions:
        while stack and function.node.start_byte >= stack[-1].body.end_byte:
            stack.pop()
        if stack and function.node.start_byte >= stack[-1].body.start_byte:
            stack[-1].children.append(function)
        else:
            top.append(function)
        stack.append(function)
    return top


def _comment_blocks(comments: list[Node], source: bytes, lines: list[str]) -> list[Block]:
    """Runs of comments that each start their line, on consecutive lines."""
    blocks: list[Block] = []
    start = end = -1
    for comment in sorted(comments, key=lambda c: c.start_byte):
        if _before(source, comment):
            continue
        row = comment.start_point.row
        if row != end + 1 or start < 0:
            if start >= 0:
                blocks.append(_block(start, end, lines))
            start = row
        end = _own_last_row(source, comment)
        if end < _last_row(comment):  # code follows the comment on its last line
            blocks.append(_block(start, end, lines))
            start = end = -1
    if start >= 0:
        blocks.append(_block(start, end, lines))
    return blocks


def _last_row(node: Node) -> int:
    """The last row `node` has text on (a line comment may end at column 0 of the next row)."""
    end = node.end_point
    return end.row - 1 if end.column == 0 and end.row > node.start_point.row else end.row


def _own_last_row(source: bytes, node: Node) -> int:
    """The last row that holds nothing but `node` (and punctuation) from where it ends."""
    row = _last_row(node)
    if row == node.end_point.row and _TRAILER.fullmatch(_after(source, node)) is None:
        return row - 1
    return row


def _block(start: int, end: int, lines: list[str]) -> Block:
    """A block whose text begins on its first line that has a letter or digit."""
    for row in range(start, end + 1):
        if _WORD_CHAR.search(lines[row]):
            return Block(start, end, row)
    return Block(start, end, start)


def attached_start(function: Function) -> int:
    """The first row of a definition with the comments and attributes right above it."""
    node = function.node
    if node.parent is not None and node.parent.type in _WRAPPERS:
        node = node.parent
    start = node.start_point.row
    sibling = node.prev_named_sibling
    while sibling is not None and _last_row(sibling) >= start - 1:
        if not any(word in sibling.type for word in _ATTACHED_WORDS):
            break
        start = sibling.start_point.row
        sibling = sibling.prev_named_sibling
    return start
