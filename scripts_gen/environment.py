"""The one jinja2 environment of the script generator.

Bash is unforgiving: an undefined value must fail the build (``StrictUndefined``), HTML escaping
would corrupt commands (``autoescape=False``), and every value a template writes must have gone
through a filter of ``quoting``: the quoting filters ``q`` and ``heredoc``, or a typed filter
(``integer``, ``id``, ``name``, ``template``, ``comment``). The ``finalize`` hook enforces it: any other value
stops the build, so a template cannot write a YAML value into a script unquoted by forgetting.
"""

from __future__ import annotations

from functools import cache

import jinja2

from runbook.cache import template_cache
from scripts_gen.quoting import FILTERS, Shell


class UnquotedValue(TypeError):
    """A template wrote a value that passed through no quoting or typed filter."""


def _only_filtered(value: object) -> Shell:
    if isinstance(value, Shell):
        return value
    raise UnquotedValue(
        f"a script template writes {str(value)[:60]!r} without a quoting or typed filter "
        f"(one of: {', '.join(FILTERS)})"
    )


@cache
def environment() -> jinja2.Environment:
    """Build the environment once; templates live in ``scripts_gen/templates``."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("scripts_gen", "templates"),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        # bash writes `${#array[@]}`: keep `{#` free for it.
        comment_start_string="{##",
        comment_end_string="##}",
        finalize=_only_filtered,
        bytecode_cache=template_cache(__file__),  # compiled once per version of a template
    )
    env.filters.update(FILTERS)
    return env


def render(template: str, **context: object) -> Shell:
    """Render one template of ``scripts_gen/templates``; the text may go into another script
    as it is, since every value in it went through a filter."""
    return Shell(environment().get_template(template).render(**context))
