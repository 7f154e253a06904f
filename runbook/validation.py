"""Turning pydantic's errors into located, readable problems.

Pydantic reports a path such as ``('steps', 'backup', 'timeout')``; the source map turns it
into a file, line and column, and the model classes along the path give the keys a
misspelt key could have meant.
"""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from runbook.errors import Problem
from runbook.suggest import did_you_mean
from runbook.yamlsrc import DocPath, SourceMap, format_path

_TYPE_NAMES = {
    "int_type": "an integer",
    "int_parsing": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "string_type": "text",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
}


def _strip(annotation: Any) -> Any:
    """Unwrap Optional and Annotated to the class that holds fields."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _strip(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            if arg is not type(None):
                return _strip(arg)
    return annotation


def _model_at(root: type[BaseModel], path: DocPath) -> type[BaseModel] | None:
    """The model class whose fields live at ``path``, if the path leads to one."""
    current: Any = root
    for part in path:
        current = _strip(current)
        origin = typing.get_origin(current)
        if origin in (list, dict):
            current = typing.get_args(current)[-1]
            continue
        if isinstance(current, type) and issubclass(current, BaseModel):
            info = _field(current, str(part))
            if info is None:
                return None
            current = info.annotation
            continue
        return None
    current = _strip(current)
    if typing.get_origin(current) in (list, dict):
        return None
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _field(model: type[BaseModel], key: str) -> Any:
    """The field a YAML key sets: by name, or by alias (`for`, a Python keyword)."""
    for name, info in model.model_fields.items():
        if key in (name, info.alias):
            return info
    return None


def _clean_loc(loc: tuple[Any, ...]) -> tuple[DocPath, bool]:
    """Drop pydantic's markers; report whether the error is about a mapping key."""
    is_key = "[key]" in loc
    cleaned = tuple(p for p in loc if p != "[key]" and not str(p).startswith("function-"))
    return cleaned, is_key


def _message(
    err: ErrorDetails, root: type[BaseModel], path: DocPath, is_key: bool
) -> tuple[str, str]:
    kind = err["type"]
    if kind == "extra_forbidden":
        parent = _model_at(root, path[:-1])
        fields = [i.alias or n for n, i in parent.model_fields.items()] if parent else []
        return f"unknown key '{path[-1]}'", did_you_mean(str(path[-1]), fields)
    if kind == "missing":
        return f"missing required key '{path[-1]}'", ""
    if is_key:
        return (
            f"invalid id '{path[-1]}'",
            "use lower-case letters, digits and single dashes, at most 64",
        )
    ctx = err.get("ctx", {})
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        word = {
            "greater_than_equal": "at least",
            "greater_than": "more than",
            "less_than_equal": "at most",
            "less_than": "less than",
        }[kind]
        bound = next(iter(ctx.values()), "")
        return f"must be {word} {bound}, got {_describe(err['input'])}", ""
    if kind == "too_short" and ctx.get("min_length") == 1:
        return "must not be empty", ""
    if kind == "string_pattern_mismatch":
        return f"invalid value {err['input']!r}", _pattern_hint(path)
    if kind in _TYPE_NAMES:
        return f"expected {_TYPE_NAMES[kind]}, got {_describe(err['input'])}", ""
    if kind == "enum":
        expected = err.get("ctx", {}).get("expected", "")
        return f"invalid value {err['input']!r}", f"expected {expected}" if expected else ""
    msg = err["msg"]
    for prefix in ("Value error, ", "Assertion failed, "):
        msg = msg.removeprefix(prefix)
    return msg[:1].lower() + msg[1:], ""


def _pattern_hint(path: DocPath) -> str:
    last = str(path[-1]) if path else ""
    hints = {
        "host": "a host name or IPv4 address",
        "ssh_user": "a POSIX user name",
        "deploy_path": "an absolute path of letters, digits, '.', '_', '-' and '/'",
        "path": "a path starting with '/'",
        "script": "a file name like 'deploy-staging.sh'",
        "level": "P0, P1, P2 or P3",
        "base_url": "a URL like http://127.0.0.1 or http://127.0.0.1:8080",
        "branch": "a git branch name",
        "severity": "P0, P1, P2 or P3",
        "artifact": "a path of letters, digits and '._/@+=:,~-', not starting with '-', "
        "with ${VERSION} or ${ENVIRONMENT} for the parts that vary",
        "suffix": "letters, digits, '.', '_' and '-', e.g. '.sql.gz'",
        "url": "an https URL of letters, digits and '.-_~/?=&%+', e.g. https://chat.example.com/x",
        "for": "a duration like 30s, 5m or 1h30m",
        "group_interval": "a duration like 30s, 5m or 1h30m",
        "site_url": "a URL like https://runbooks.example.com/shop/",
        "smtp_smarthost": "host:port, e.g. smtp.example.com:587",
        "secrets_dir": "an absolute path",
    }
    return hints.get(last, "lower-case letters, digits and single dashes")


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"{str(value).lower()}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"'{value}'" if len(value) <= 40 else "text"
    return repr(value)


def problems_from(exc: ValidationError, root: type[BaseModel], smap: SourceMap) -> list[Problem]:
    """One located problem per pydantic error."""
    problems = []
    for err in exc.errors(include_url=False):
        path, is_key = _clean_loc(tuple(err["loc"]))
        message, hint = _message(err, root, path, is_key)
        at_key = err["type"] in ("extra_forbidden",) or is_key
        located = path if err["type"] != "missing" else path[:-1]
        problems.append(Problem(message, smap.locate(located, key=at_key), format_path(path), hint))
    return problems
