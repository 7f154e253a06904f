"""YAML for Ansible, written by the YAML emitter: no value is ever pasted into YAML text.

Two kinds of string reach a playbook. Text from the runbook (titles, questions, commands and
the bash built around them) is :class:`Literal`: emitted with Ansible's ``!unsafe`` tag, so
Ansible never evaluates a ``{{ ... }}`` in it as a Jinja expression. Expressions this package
writes itself (``"{{ groups['app'] }}"``) are :class:`Expr`: plain strings Ansible templates.
Plain ``str`` values are refused, so a forgotten marking fails the build instead of shipping
a runbook value that Ansible would evaluate.
"""

from __future__ import annotations

from typing import Any

import yaml

__all__ = ["Expr", "Literal", "dump"]


class Literal(str):
    """Text Ansible must take as it is (``!unsafe``): everything that comes from the runbook."""


class Expr(str):
    """A Jinja expression or plain word written by this package, for Ansible to template."""


class _Dumper(yaml.SafeDumper):
    """Block style, no aliases, literal blocks for multi-line text."""

    def ignore_aliases(self, data: Any) -> bool:
        # Only a long shared text (the prelude of every play) is written once and aliased.
        return not (isinstance(data, Literal) and data.count("\n") > 20)

    def generate_anchor(self, node: Any) -> str:
        return "prelude"

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # Lists indented under their key, as ansible-lint's yaml rule expects.
        super().increase_indent(flow, False)


def _literal(dumper: yaml.SafeDumper, value: Literal) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("!unsafe", str(value), style=style)


def _expr(dumper: yaml.SafeDumper, value: Expr) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style=style)


def _refuse(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    raise TypeError(f"unmarked string in a playbook: {value[:60]!r} (Literal or Expr)")


_Dumper.add_representer(Literal, _literal)
_Dumper.add_representer(Expr, _expr)
_Dumper.add_representer(str, _refuse)


def _keys(data: Any) -> Any:
    """Mapping keys are this package's own words: mark them, leave values as they are."""
    if isinstance(data, dict):
        return {Expr(k) if type(k) is str else k: _keys(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_keys(v) for v in data]
    return data


def dump(data: Any) -> str:
    """The YAML text of ``data`` (dicts keep their order); string values must be Literal or Expr."""
    text = yaml.dump(
        _keys(data),
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=100,
        explicit_start=False,
    )
    return str(text)
