"""Loading a runbook: files -> plain data with positions -> validated ``Runbook``.

This is the only module that reads runbook YAML. Renderers receive a ``LoadedRunbook`` and
never parse the source again.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections import defaultdict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError

from runbook.errors import Location, Problem, RunbookError
from runbook.model import Runbook
from runbook.references import check_references
from runbook.validation import problems_from
from runbook.yamlsrc import DocPath, Origin, SourceMap, load_document

#: Sections whose entries are keyed by id: included files add entries to them.
KEYED_SECTIONS = (
    "environments",
    "checklists",
    "steps",
    "procedures",
    "emergencies",
    "contacts",
    "commands",
)
#: Sections that are lists: included files append to them.
LIST_SECTIONS = ("severities", "escalation", "performance")
MAX_INCLUDES = 64
T = TypeVar("T")


@dataclass(frozen=True)
class LoadedRunbook:
    """A validated runbook with what renderers need to say where it came from.

    It also keeps what is derived from it once per load (:meth:`once`): each script is
    rendered once however many pages link to its lines.
    """

    runbook: Runbook
    path: Path
    files: tuple[Path, ...]
    digest: str
    source_map: SourceMap
    _derived: dict[Hashable, Any] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def once(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()``, computed on the first call for ``key`` and kept with this runbook.

        Only for values that depend on nothing but this runbook and the tool's own code.
        """
        if key not in self._derived:
            self._derived[key] = compute()
        result: T = self._derived[key]
        return result

    def known(self, key: Hashable, value: Any) -> None:
        """Give :meth:`once` the value of ``key`` without computing it: a generated file the
        build found on disk with the hash this runbook's rendering had is that rendering."""
        self._derived.setdefault(key, value)

    @property
    def display(self) -> str:
        """The main source file as the user named it."""
        return _display(self.path)

    def locate(self, *path: str | int, key: bool = False) -> Location | None:
        """Where a part of the runbook was written."""
        return self.source_map.locate(tuple(path), key=key)


def _display(path: Path) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:  # pragma: no cover - other drive on Windows
        return str(path)
    return rel if not rel.startswith("..") else str(path)


class _Assembler:
    """Reads the main file and its includes, merging sections and refusing duplicates."""

    def __init__(self) -> None:
        self.smap = SourceMap()
        self.files: list[Path] = []
        self.data: dict[str, Any] = {}

    def read(self, path: Path, chain: tuple[Path, ...] = (), origin: Origin | None = None) -> None:
        display = _display(path)
        with contextlib.suppress(OSError):  # a name too long stays as given; read_text says so
            path = path.resolve()
        if path in chain:
            raise RunbookError(
                Problem(
                    f"{display} is already being included (an include cycle)",
                    origin.location if origin else None,
                    "include",
                )
            )
        if len(self.files) >= MAX_INCLUDES:
            raise RunbookError(
                Problem(
                    f"more than {MAX_INCLUDES} included files",
                    origin.location if origin else None,
                    "include",
                )
            )
        data, smap = load_document(path, display, origin)
        if not isinstance(data, dict):
            kind = "a list" if isinstance(data, list) else "a single value"
            raise RunbookError(
                Problem(
                    f"a runbook must be a mapping of sections, got {kind}",
                    smap.locate(()),
                    hint="start with 'service:'",
                )
            )
        self.files.append(path)
        if len(self.files) == 1:
            self.smap.values[()] = smap.values[()]
        self._merge(data, smap, display)
        for i, name in enumerate(_includes(data, smap)):
            where = Origin(smap.locate(("include", i)), f"include[{i}]", name)
            self.read(path.parent / name, (*chain, path), where)

    def _merge(self, data: dict[str, Any], smap: SourceMap, display: str) -> None:
        first = not self.files[:-1]
        index = _index(smap)
        for key, value in data.items():
            if key == "include":
                if first:
                    self.data[key] = value
                    self.smap.values[(key,)] = smap.values[(key,)]
                continue
            if key not in self.data:
                self.data[key] = value
                self._copy_positions(index, (key,))
            elif (
                key in KEYED_SECTIONS
                and isinstance(value, dict)
                and isinstance(self.data[key], dict)
            ):
                for item_id, item in value.items():
                    if item_id in self.data[key]:
                        self._duplicate(
                            smap,
                            (key, item_id),
                            f"{key[:-1] if key.endswith('s') else key} '{item_id}'",
                        )
                    self.data[key][item_id] = item
                    self._copy_positions(index, (key, item_id))
            elif (
                key in LIST_SECTIONS
                and isinstance(value, list)
                and isinstance(self.data[key], list)
            ):
                offset = len(self.data[key])
                self.data[key].extend(value)
                for path, loc in smap.values.items():
                    if path[:1] == (key,) and len(path) > 1 and isinstance(path[1], int):
                        self.smap.values[(key, path[1] + offset, *path[2:])] = loc
            else:
                self._duplicate(smap, (key,), f"section '{key}'")

    def _duplicate(self, smap: SourceMap, path: tuple[str, ...], what: str) -> None:
        first = self.smap.locate(path, key=True)
        where = f" (first defined at {first})" if first else ""
        raise RunbookError(
            Problem(f"{what} is defined twice{where}", smap.locate(path, key=True), ".".join(path))
        )

    def _copy_positions(self, index: _Positions, prefix: tuple[str, ...]) -> None:
        for is_key, path, loc in index.get(prefix, ()):
            (self.smap.keys if is_key else self.smap.values)[path] = loc


_Positions = dict[DocPath, list[tuple[bool, DocPath, Location]]]


def _includes(data: dict[str, Any], smap: SourceMap) -> list[str]:
    """The file names a document includes: relative paths, each one line."""
    includes = data.get("include", [])
    if not isinstance(includes, list) or not all(isinstance(i, str) for i in includes):
        raise RunbookError(
            Problem("'include' must be a list of file paths", smap.locate(("include",)), "include")
        )
    for i, name in enumerate(includes):
        if not name or os.path.isabs(name) or name.startswith("~") or "\n" in name:
            raise RunbookError(
                Problem(
                    "an include is a path relative to the file that names it",
                    smap.locate(("include", i)),
                    f"include[{i}]",
                )
            )
    return includes


def _index(smap: SourceMap) -> _Positions:
    """Positions grouped under their first one and two path parts, so that copying a section
    or an entry does not scan the whole file again (which made large files take minutes)."""
    index: _Positions = defaultdict(list)
    for is_key, table in ((False, smap.values), (True, smap.keys)):
        for path, loc in table.items():
            for n in (1, 2):
                if len(path) >= n:
                    index[path[:n]].append((is_key, path, loc))
    return index


def load(path: str | os.PathLike[str]) -> LoadedRunbook:
    """Load and validate a runbook, raising ``RunbookError`` with every problem found."""
    assembler = _Assembler()
    main = Path(path)
    assembler.read(main)
    try:
        runbook = Runbook.model_validate(assembler.data)
    except ValidationError as exc:
        raise RunbookError(problems_from(exc, Runbook, assembler.smap)) from None
    problems = check_references(runbook, assembler.smap)
    if problems:
        raise RunbookError(problems)
    digest = hashlib.sha256()
    for file in assembler.files:
        try:
            digest.update(file.read_bytes())
        except OSError as exc:  # changed or removed since it was read
            raise RunbookError(Problem(f"cannot read {_display(file)}: {exc.strerror}")) from None
    return LoadedRunbook(
        runbook=runbook,
        path=assembler.files[0],
        files=tuple(assembler.files),
        digest=digest.hexdigest(),
        source_map=assembler.smap,
    )
