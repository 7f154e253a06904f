"""Reading YAML safely while keeping the line and column of every node.

Only plain data comes out: mappings, sequences, strings, numbers, booleans and null. Any
other tag is refused (no YAML tag may construct objects or run code), duplicate keys are
errors, and alias bombs, self-referencing anchors and absurd nesting stop with a clear
message instead of exhausting memory or the stack.
"""

from __future__ import annotations

import errno
import re
import stat
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


def _os_reason(exc: OSError) -> str:
    """An OS error in the reader's words (no errno numbers, no traceback)."""
    reasons = {
        errno.ENOENT: "no such file",
        errno.ENAMETOOLONG: "the file name is too long",
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
        errno.ELOOP: "too many symbolic links",
        errno.ENOTDIR: "a part of the path is not a directory",
    }
    return reasons.get(exc.errno or 0, exc.strerror or type(exc).__name__)


@dataclass(frozen=True)
class Origin:
    """Where a file was named: the ``include`` entry, its path in the document, the name."""

    location: Location | None
    path: str
    name: str


def read_text(path: Path, display: str, origin: Origin | None = None) -> str:
    """Read a source file as UTF-8 text, refusing what is not a readable text file.

    One ``stat`` decides, so a name too long, a permission error, a directory, a device or a
    pipe (which could be read forever) is one line, located at the ``include`` entry that
    named the file when there is one.
    """
    where, doc_path = (origin.location, origin.path) if origin else (None, "")
    name = origin.name if origin else display
    try:
        info = path.stat()
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            what = "included file not found" if origin else "no such file"
            hint = "" if origin else "check the path"
            raise RunbookError(Problem(f"{what}: {name}", where, doc_path, hint)) from None
        message = f"cannot read {name}: {_os_reason(exc)}"
        raise RunbookError(Problem(message, where, doc_path)) from None
    if stat.S_ISDIR(info.st_mode):
        raise RunbookError(Problem(f"{name} is a directory, not a runbook file", where, doc_path))
    if not stat.S_ISREG(info.st_mode):  # a device or a pipe could be read forever
        raise RunbookError(Problem(f"{name} is not a regular file", where, doc_path))
    if info.st_size > MAX_BYTES:
        raise RunbookError(
            Problem(
                f"file is {info.st_size:,} bytes; a runbook file may be at most {MAX_BYTES:,}",
                Location(display, 1, 1),
            )
        )
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise RunbookError(
            Problem(f"cannot read {name}: {exc.strerror or _os_reason(exc)}", where, doc_path)
        ) from None
    if len(data) > MAX_BYTES:
        raise RunbookError(
            Problem(f"a runbook file may be at most {MAX_BYTES:,} bytes", Location(display, 1, 1))
        )
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


#: libyaml's parser when PyYAML was built with it (about 25 times faster); else PyYAML's own.
#: PyYAML's parser has the last word: a file loads, or fails with the same message at the
#: same place, whichever parser is installed (see :func:`compose`).
_FAST_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
#: What ends a plain scalar inside `[...]` or `{...}` for PyYAML but not for libyaml: a `?`,
#: a `:` before a flow indicator or the end (`[a:]`); `http://x` is one scalar to both.
_FLOW_DIFFERS = re.compile(r"\?|:(?=[,\[\]{}]|$)")
#: Text the two parsers read differently anywhere: a tab (libyaml takes it for a space where
#: PyYAML refuses it) and a byte order mark after the start (libyaml's columns skip it).
_PYTHON_ONLY = re.compile("\t|(?!^)\ufeff")


class _Lenient(Exception):
    """libyaml accepted text that PyYAML's parser may refuse or read otherwise."""


class _Composer:
    """Builds the node tree from the parser's events, counting nodes and depth as it goes.

    PyYAML's composers (libyaml's included) build the whole tree before anyone can count it,
    so a dense file took a minute to be refused; here parsing stops at the first node past
    ``MAX_NODES`` or the first level past ``MAX_DEPTH``.
    """

    def __init__(self, loader: Any, display: str) -> None:
        self.loader = loader  # PyYAML's or libyaml's parser; neither is typed
        self.display = display
        self.count = 0
        self.anchors: dict[str, Node] = {}
        self.flow = 0  # how many flow collections (`[...]`, `{...}`) the parser is inside
        self.lenient = not isinstance(loader, yaml.SafeLoader)  # libyaml's parser

    def document(self) -> Node | None:
        loader = self.loader
        loader.get_event()  # stream start
        if loader.check_event(yaml.StreamEndEvent):
            return None
        loader.get_event()  # document start
        root = self.node(0)
        loader.get_event()  # document end
        if not loader.check_event(yaml.StreamEndEvent):
            extra = loader.peek_event()
            raise RunbookError(
                Problem(
                    "a runbook file holds one YAML document; found another",
                    _mark(self.display, extra.start_mark),
                    hint="remove the extra '---' or split the file and use 'include'",
                )
            )
        return root

    def node(self, depth: int) -> Node:
        event: Any = self.loader.get_event()
        self.count += 1
        if self.count > MAX_NODES:
            raise self._fail(event, f"document holds more than {MAX_NODES:,} values")
        if depth > MAX_DEPTH:
            raise self._fail(event, f"nesting deeper than {MAX_DEPTH} levels")
        if isinstance(event, yaml.AliasEvent):
            if event.anchor not in self.anchors:
                raise self._fail(
                    event, f"YAML syntax error: found undefined alias '{event.anchor}'"
                )
            return self.anchors[event.anchor]
        if isinstance(event, yaml.ScalarEvent):
            if self.lenient and self.flow and not event.style and _FLOW_DIFFERS.search(event.value):
                raise _Lenient  # `[a?b]`, `[a:]`: one scalar to libyaml, an error to PyYAML
            tag = event.tag
            if tag is None or tag == "!":
                tag = self.loader.resolve(ScalarNode, event.value, event.implicit)
            marks: tuple[Any, Any] = (event.start_mark, event.end_mark)
            node: Node = ScalarNode(tag, event.value, *marks, style=event.style)
            self._anchor(event, node)
            return node
        if isinstance(event, yaml.SequenceStartEvent):
            return self._collection(event, SequenceNode, yaml.SequenceEndEvent, depth)
        return self._collection(event, MappingNode, yaml.MappingEndEvent, depth)

    def _collection(self, event: Any, kind: Any, end: type[Any], depth: int) -> Node:
        tag = event.tag
        if tag is None or tag == "!":
            tag = self.loader.resolve(kind, None, event.implicit)
        node: Node = kind(tag, [], event.start_mark, None, flow_style=event.flow_style)
        self._anchor(event, node)
        items: list[Any] = node.value
        self.flow += bool(event.flow_style)
        while not self.loader.check_event(end):
            if kind is MappingNode:
                items.append((self.node(depth + 1), self.node(depth + 1)))
            else:
                items.append(self.node(depth + 1))
        self.flow -= bool(event.flow_style)
        node.end_mark = self.loader.get_event().end_mark
        return node

    def _anchor(self, event: Any, node: Node) -> None:
        if event.anchor is not None:
            self.anchors[event.anchor] = node

    def _fail(self, event: Any, message: str) -> RunbookError:
        return RunbookError(Problem(message, _mark(self.display, event.start_mark)))


def _mark(display: str, mark: Any) -> Location | None:
    return Location(display, mark.line + 1, mark.column + 1) if mark is not None else None


def _compose_with(loader_class: type[yaml.SafeLoader], text: str, display: str) -> Node | None:
    try:
        loader = loader_class(text)
    except yaml.reader.ReaderError as exc:
        raise _reader_error(exc, text, display) from None
    try:
        return _Composer(loader, display).document()
    finally:
        loader.dispose()


def _syntax_error(exc: yaml.YAMLError, text: str, display: str) -> RunbookError:
    if isinstance(exc, yaml.reader.ReaderError):
        return _reader_error(exc, text, display)
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        where = Location(display, mark.line + 1, mark.column + 1) if mark else None
        message = (exc.problem or exc.context or "invalid YAML").strip()
        return RunbookError(Problem(f"YAML syntax error: {message}", where))
    return RunbookError(Problem(f"YAML error: {exc}", Location(display, 1, 1)))


def _compose_python(text: str, display: str) -> Node | None:
    """PyYAML's own parser: its result, or its syntax error in its words and at its place."""
    try:
        return _compose_with(yaml.SafeLoader, text, display)
    except yaml.YAMLError as exc:
        raise _syntax_error(exc, text, display) from None


def compose(text: str, display: str) -> Node:
    """Parse text into a single YAML node tree, with syntax errors located.

    libyaml parses when it is installed, and PyYAML's parser decides wherever the two may
    differ, so that positions, messages and what is accepted at all never depend on which
    parser is installed: on any syntax error (PyYAML's wording is clearer, and it counts
    characters where libyaml counts bytes), for text holding a tab or a byte order mark past
    its start (``_PYTHON_ONLY``), and for a plain scalar inside ``[...]`` or ``{...}`` that
    holds a ``?`` or ends in ``:`` (one scalar to libyaml, an error to PyYAML).
    """
    try:
        if _FAST_LOADER is yaml.SafeLoader or _PYTHON_ONLY.search(text):
            root = _compose_python(text, display)
        else:
            try:
                root = _compose_with(_FAST_LOADER, text, display)
            except (yaml.YAMLError, _Lenient):
                root = _compose_python(text, display)
    except RecursionError:  # pragma: no cover - MAX_DEPTH stops long before
        raise RunbookError(
            Problem("nesting too deep to be a runbook", Location(display, 1, 1))
        ) from None
    if root is None:
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


def load_document(path: Path, display: str, origin: Origin | None = None) -> tuple[Any, SourceMap]:
    """Load one YAML file into plain data and its source map (``origin``: where it was named)."""
    text = read_text(path, display, origin)
    root = compose(text, display)
    builder = _Builder(display, _LINE_BREAK.split(text))
    try:
        data = builder.build(root)
    except RecursionError:
        raise RunbookError(
            Problem("nesting too deep to be a runbook", Location(display, 1, 1))
        ) from None
    return data, builder.smap
