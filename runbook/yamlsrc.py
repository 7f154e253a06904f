"""Reading YAML safely while keeping the line and column of every node.

Only plain data comes out: mappings, sequences, strings, numbers, booleans and null. Any
other tag is refused (no YAML tag may construct objects or run code), duplicate keys are
errors, and alias bombs, self-referencing anchors and absurd nesting stop with a clear
message instead of exhausting memory or the stack.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from runbook.errors import Location, Problem, RunbookError, TextPlacement

#: About 30 times the example; the pure-Python parser takes a few seconds for this much YAML.
MAX_BYTES = 1024 * 1024
MAX_DEPTH = 64
MAX_NODES = 200_000

DocPath = tuple[str | int, ...]

_YAML = "tag:yaml.org,2002:"
_SCALAR_TAGS = {f"{_YAML}{t}" for t in ("str", "int", "float", "bool", "null")}
_TIMESTAMP = f"{_YAML}timestamp"
_MERGE = f"{_YAML}merge"
#: Control characters a quoted escape (``"\e"``, ``"\x00"``) can put in text; tab and newline
#: are text. They would reach terminals, pages and scripts, so they are refused here.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@dataclass
class SourceMap:
    """Where each value (and each mapping key) of a loaded document was written."""

    values: dict[DocPath, Location] = field(default_factory=dict)
    keys: dict[DocPath, Location] = field(default_factory=dict)

    def locate(self, path: DocPath, *, key: bool = False) -> Location | None:
        """The location of ``path``, or of its nearest written ancestor."""
        path = tuple(path)
        while True:
            if key and path in self.keys:
                return self.keys[path]
            if path in self.values:
                return self.values[path]
            if not path:
                return None
            path = path[:-1]

    def update(self, other: SourceMap) -> None:
        self.values.update(other.values)
        self.keys.update(other.keys)


def format_path(path: DocPath) -> str:
    """``('procedures', 'x', 'stages', 0)`` -> ``procedures.x.stages[0]``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _loc(file: str, node: Node) -> Location:
    mark = node.start_mark
    return Location(file, mark.line + 1, mark.column + 1)


#: Line breaks as PyYAML counts them, so that line numbers agree with its marks.
_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
#: A block scalar's header; the digit is an explicit indentation.
_BLOCK_HEADER = re.compile(r"[|>](?:([1-9])[-+]?|[-+]([1-9])?)?")


def _placement(node: ScalarNode, lines: list[str]) -> TextPlacement:
    """Where the lines of a text scalar are: a block's start on the line after its header."""
    start, end = node.start_mark, node.end_mark
    if node.style not in ("|", ">"):
        quote = 1 if node.style in ("'", '"') else 0
        return TextPlacement(start.line + 1, start.column + 1 + quote, start.line == end.line)
    header_line = lines[start.line] if start.line < len(lines) else ""
    header = _BLOCK_HEADER.match(header_line, start.column)
    digit = header and (header.group(1) or header.group(2))
    if digit:
        indent = len(header_line) - len(header_line.lstrip(" ")) + int(digit)
    else:
        last = end.line + (1 if end.column else 0)  # the end mark is where the next token starts
        first = next((ln for ln in lines[start.line + 1 : last] if ln.strip()), "")
        indent = len(first) - len(first.lstrip(" "))
    return TextPlacement(start.line + 2, indent + 1, node.style == "|")


def read_text(path: Path, display: str) -> str:
    """Read a source file as UTF-8 text, refusing what is not a readable text file."""
    if not path.exists():
        raise RunbookError(Problem(f"no such file: {display}", hint="check the path"))
    if path.is_dir():
        raise RunbookError(Problem(f"{display} is a directory, not a runbook file"))
    if not path.is_file():  # a device or a pipe could be read forever
        raise RunbookError(Problem(f"{display} is not a regular file"))
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise RunbookError(
                Problem(
                    f"file is {size:,} bytes; a runbook file may be at most {MAX_BYTES:,}",
                    Location(display, 1, 1),
                )
            )
        data = path.read_bytes()
    except OSError as exc:
        raise RunbookError(Problem(f"cannot read {display}: {exc.strerror}")) from None
    if b"\x00" in data:
        raise RunbookError(
            Problem("not a text file (it contains NUL bytes)", Location(display, 1, 1))
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise RunbookError(
            Problem(
                f"not valid UTF-8 (byte 0x{data[exc.start]:02x})",
                Location(display, line, col),
                hint="save the file as UTF-8",
            )
        ) from None


def _reader_error(exc: yaml.reader.ReaderError, text: str, display: str) -> RunbookError:
    before = text[: exc.position]
    line = before.count("\n") + 1
    column = exc.position - (before.rfind("\n") + 1) + 1
    return RunbookError(
        Problem(
            f"character U+{exc.character:04X} is not allowed in YAML",
            Location(display, line, column),
            hint="remove control characters",
        )
    )


def compose(text: str, display: str) -> Node:
    """Parse text into a single YAML node tree, with syntax errors located."""
    try:
        loader = yaml.SafeLoader(text)
    except yaml.reader.ReaderError as exc:
        raise _reader_error(exc, text, display) from None
    try:
        if not loader.check_node():
            raise RunbookError(
                Problem("the file is empty", Location(display, 1, 1), hint="start with 'service:'")
            )
        root = loader.get_node()
        if loader.check_node():
            extra = loader.get_node()
            raise RunbookError(
                Problem(
                    "a runbook file holds one YAML document; found another",
                    _loc(display, extra) if extra is not None else None,
                    hint="remove the extra '---' or split the file and use 'include'",
                )
            )
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Location(display, mark.line + 1, mark.column + 1) if mark else None
        message = (exc.problem or exc.context or "invalid YAML").strip()
        raise RunbookError(Problem(f"YAML syntax error: {message}", where)) from None
    except yaml.reader.ReaderError as exc:
        raise _reader_error(exc, text, display) from None
    except yaml.YAMLError as exc:
        raise RunbookError(Problem(f"YAML error: {exc}", Location(display, 1, 1))) from None
    except RecursionError:
        raise RunbookError(
            Problem("nesting too deep to be a runbook", Location(display, 1, 1))
        ) from None
    finally:
        loader.dispose()
    if root is None:  # pragma: no cover - check_node guarantees a node
        raise RunbookError(
            Problem("the file is empty", Location(display, 1, 1), hint="start with 'service:'")
        )
    return root


class _Builder:
    """Turns a node tree into plain data, recording positions as it goes."""

    def __init__(self, display: str, lines: list[str] | None = None) -> None:
        self.display = display
        self.lines = lines or []
        self.smap = SourceMap()
        self.count = 0
        self._scalars = SafeConstructor()

    def build(self, node: Node, path: DocPath = (), stack: tuple[int, ...] = ()) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise self._fail(
                node, f"document expands to more than {MAX_NODES:,} values", "alias bomb?"
            )
        if len(path) > MAX_DEPTH:
            raise self._fail(node, f"nesting deeper than {MAX_DEPTH} levels")
        if id(node) in stack:
            raise self._fail(
                node, "an anchor refers to itself", "self-referencing aliases are refused"
            )
        self.smap.values[path] = _loc(self.display, node)
        if isinstance(node, ScalarNode):
            value = self._scalar(node, path)
            if isinstance(value, str):
                loc = self.smap.values[path]
                placement = _placement(node, self.lines)
                self.smap.values[path] = Location(loc.file, loc.line, loc.column, placement)
            return value
        if isinstance(node, SequenceNode):
            self._check_tag(node, f"{_YAML}seq")
            inner = (*stack, id(node))
            return [self.build(item, (*path, i), inner) for i, item in enumerate(node.value)]
        if isinstance(node, MappingNode):
            self._check_tag(node, f"{_YAML}map")
            return self._mapping(node, path, (*stack, id(node)))
        raise self._fail(node, "unsupported YAML node")  # pragma: no cover

    def _mapping(self, node: MappingNode, path: DocPath, stack: tuple[int, ...]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        merged: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                merged.update(self._merge_source(value_node, path, stack))
                continue
            if not isinstance(key_node, ScalarNode):
                raise self._fail(key_node, "a mapping key must be a plain value")
            key = self._scalar(key_node, path)
            if not isinstance(key, str | int | float | bool) and key is not None:
                raise self._fail(key_node, "a mapping key must be a plain value")
            key = str(key) if not isinstance(key, str) else key
            if key in out:
                first = self.smap.keys[(*path, key)]
                raise self._fail(
                    key_node,
                    f"duplicate key '{key}' (first defined at line {first.line})",
                    "keys must be unique; merge the two entries",
                    path=(*path, key),
                )
            self.smap.keys[(*path, key)] = _loc(self.display, key_node)
            out[key] = self.build(value_node, (*path, key), stack)
        return {**{k: v for k, v in merged.items() if k not in out}, **out}

    def _merge_source(self, node: Node, path: DocPath, stack: tuple[int, ...]) -> dict[str, Any]:
        sources = node.value if isinstance(node, SequenceNode) else [node]
        merged: dict[str, Any] = {}
        for source in sources:
            value = self.build(source, path, stack)
            if not isinstance(value, dict):
                raise self._fail(source, "'<<' merges mappings only")
            merged = {**value, **merged}
        return merged

    def _scalar(self, node: ScalarNode, path: DocPath = ()) -> Any:
        if node.tag == _TIMESTAMP:
            return node.value
        if node.tag not in _SCALAR_TAGS:
            raise self._fail(
                node, f"YAML tag '{node.tag}' is not allowed", "only plain data is read"
            )
        try:
            value = self._scalars.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, OverflowError):
            raise self._fail(node, f"cannot read value {node.value!r}") from None
        control = _CONTROL.search(value) if isinstance(value, str) else None
        if control:
            raise self._fail(
                node,
                f"text holds control character U+{ord(control.group(0)):04X}",
                "remove the escape sequence",
                path=path,
            )
        return value

    def _check_tag(self, node: Node, expected: str) -> None:
        if node.tag != expected:
            raise self._fail(
                node, f"YAML tag '{node.tag}' is not allowed", "only plain data is read"
            )

    def _fail(self, node: Node, message: str, hint: str = "", path: DocPath = ()) -> RunbookError:
        return RunbookError(Problem(message, _loc(self.display, node), format_path(path), hint))


def load_document(path: Path, display: str) -> tuple[Any, SourceMap]:
    """Load one YAML file into plain data and its source map."""
    text = read_text(path, display)
    root = compose(text, display)
    builder = _Builder(display, _LINE_BREAK.split(text))
    try:
        data = builder.build(root)
    except RecursionError:
        raise RunbookError(
            Problem("nesting too deep to be a runbook", Location(display, 1, 1))
        ) from None
    return data, builder.smap
