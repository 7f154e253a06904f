"""Results of slow checks kept between runs, by content hash, in ``.runbook/cache/``.

`runbook check` runs shellcheck and ``bash -n`` on text that rarely changes between two
commits. Each result is stored under the sha256 of everything it depends on (the text
checked, the checker's version and arguments), so an entry is never stale: changed input
is a different key. The folder is beside the runbook, git-ignored (``.runbook/`` is), and
safe to delete at any time; an unreadable or foreign file is a miss, never an error. A
run keeps the entries it used and drops the others, so the folder does not grow.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = ["CACHE_DIR", "ResultCache", "content_key", "template_cache", "tool_fingerprint"]

#: Where the cache lives, relative to the directory of the runbook.
CACHE_DIR = ".runbook/cache"
_FORMAT = 1
#: The packages whose code and templates make the generated files and pages, and the
#: libraries whose versions change them (the JSON Schema, page text, the step phrases).
_PACKAGES = ("runbook", "scripts_gen")
_LIBRARIES = ("pydantic", "pydantic-core", "jinja2", "markupsafe", "pytest-bdd")
#: Files of the packages that no generated file depends on (the site's scripts and styles).
_NOT_SOURCES = (".js", ".css", ".pyc")


def content_key(*parts: str) -> str:
    """The sha256 of ``parts``, each one told apart from the next."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8", "surrogatepass")
        digest.update(f"{len(data)}:".encode())
        digest.update(data)
    return digest.hexdigest()


def template_cache(configured_in: str) -> Any:
    """Where jinja2 keeps compiled templates between runs: its own per-user folder under the
    temporary directory. jinja2 finds an entry by the template's path and uses it while the
    template's text is the same; but compiled code also depends on the environment's options
    (``finalize``, the block and comment syntax), which live in ``configured_in`` (the file
    that creates the environment). Its hash, with jinja2's version, names the entries, so
    two versions of the tool on one machine never run each other's compiled templates."""
    from jinja2 import FileSystemBytecodeCache, __version__

    key = content_key(__version__, _read(Path(configured_in)))[:16]
    return FileSystemBytecodeCache(pattern=f"__runbook_{key}_%s.cache")


@functools.cache
def tool_fingerprint() -> str:
    """The sha256 of everything of the tool a generated file depends on: the code and the
    templates of its packages, the versions of the libraries that shape the output, Python's.

    A recorded result that depends on the tool is stored under it, so installing another
    version (or editing a template) can never reuse a result of the old one. Computed once
    per process (a build asks for it twice): the tool does not change while it runs.
    """
    import importlib.util

    parts = [sys.version]
    for library in _LIBRARIES:
        try:
            parts.append(f"{library} {metadata.version(library)}")
        except metadata.PackageNotFoundError:
            parts.append(f"{library} -")
    for package in _PACKAGES:
        spec = importlib.util.find_spec(package)
        folders = list(spec.submodule_search_locations or []) if spec is not None else []
        for folder in folders:
            for path in sorted(Path(folder).rglob("*")):
                if "__pycache__" in path.parts or path.suffix in _NOT_SOURCES:
                    continue
                if path.is_file():
                    parts += [path.relative_to(folder).as_posix(), _read(path)]
    return content_key(*parts)


def _read(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "-"


class ResultCache:
    """One kind of result (``name``), read once from its JSON file and written back once.

    ``folder=None`` is a cache that remembers nothing (``runbook check --no-cache``). Safe
    to use from several threads: a lookup or a store is one dict operation.
    """

    def __init__(self, folder: Path | None, name: str) -> None:
        self.path = folder / f"{name}.json" if folder is not None else None
        self._old: dict[str, Any] = self._read()
        self._new: dict[str, Any] = {}

    def _read(self) -> dict[str, Any]:
        if self.path is None:
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict) or data.get("format") != _FORMAT:
            return {}
        entries = data.get("entries")
        return entries if isinstance(entries, dict) else {}

    def get(self, key: str) -> Any | None:
        """The result stored under ``key``, or None."""
        if key in self._new:
            return self._new[key]
        if key in self._old:
            self._new[key] = self._old[key]
            return self._new[key]
        return None

    def put(self, key: str, value: Any) -> None:
        """Store a result (plain JSON data)."""
        self._new[key] = value

    def save(self) -> None:
        """Write the entries this run used; a cache that cannot be written is no error."""
        if self.path is None or self._new.keys() == self._old.keys():
            return
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            text = json.dumps({"format": _FORMAT, "entries": self._new}, separators=(",", ":"))
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(self.path)
        except OSError:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
