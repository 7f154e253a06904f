"""The documented vocabulary: every phrase of the shipped step definitions, in reading order.

The "Scenario steps" page of the site is generated from here, so the phrases a team may use
in its own `specs/*.feature` are read from the step definitions themselves, never copied.
"""

from __future__ import annotations

import importlib
import inspect
import re
from dataclasses import dataclass

MODULES = (
    "runbook.scenarios.given",
    "runbook.scenarios.when",
    "runbook.scenarios.then",
    "runbook.scenarios.faults",
    "runbook.scenarios.fleet_steps",
)
STEP_PREFIX = "pytestbdd_stepdef_"


@dataclass(frozen=True)
class Phrase:
    """One step phrase: its keyword, its words with `<placeholders>`, and what it does."""

    keyword: str
    words: str
    doc: str


def vocabulary() -> list[Phrase]:
    """Every phrase of the given, when and then modules, in definition order."""
    phrases: list[Phrase] = []
    for name in MODULES:
        module = importlib.import_module(name)
        for attr, value in vars(module).items():
            if not attr.startswith(STEP_PREFIX):
                continue
            context = value._get_wrapped_function()()
            doc = inspect.getdoc(context.step_func) or ""
            phrases.append(
                Phrase(
                    str(context.type).capitalize(),
                    readable(context.parser.name),
                    " ".join(doc.split()),
                )
            )
    return phrases


def readable(pattern: str) -> str:
    """A step pattern as a reader writes it: `<name>` for a value, `[...]` for an option."""
    text = _named_groups(pattern)
    text = re.sub(r"\{(\w+)(?::\w+)?\}", r"<\1>", text)  # parse-style fields
    while True:
        new = re.sub(r"\(\?:([^()]*)\)\?", r"[\1]", text)
        new = re.sub(r"\(\?:([^()]*)\)", lambda m: m.group(1).replace("|", " / "), new)
        if new == text:
            break
        text = new
    return text.replace("\\", "")


def _named_groups(pattern: str) -> str:
    """Replace each `(?P<name>...)` (nested parentheses included) by `<name>`."""
    out, index = [], 0
    while (start := pattern.find("(?P<", index)) >= 0:
        out.append(pattern[index:start])
        name_end = pattern.index(">", start)
        depth, cursor = 0, start
        while True:
            char = pattern[cursor]
            if char == "\\":
                cursor += 2
                continue
            depth += char == "("
            depth -= char == ")"
            cursor += 1
            if depth == 0:
                break
        content = pattern[name_end + 1 : cursor - 1]
        if pattern[cursor : cursor + 1] == "?" and not re.search(r"[\\\[\](){}*+?|^$]", content):
            out.append(f"[{content}]")  # an optional literal: the reader may add these words
            cursor += 1
        else:
            out.append(f"<{pattern[start + 4 : name_end]}>")
        index = cursor
    out.append(pattern[index:])
    return "".join(out)
