"""The one jinja2 environment of the script generator.

Bash is unforgiving: an undefined value must fail the build (``StrictUndefined``), HTML escaping
would corrupt commands (``autoescape=False``), and every YAML value goes through the one
quoting filter ``q``, built on ``shlex.quote`` in ``quoting``.
"""

from __future__ import annotations

from functools import cache

import jinja2

from runbook.cache import template_cache
from scripts_gen.quoting import q


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
        bytecode_cache=template_cache(),  # compiled once per version of a template
    )
    env.filters["q"] = q
    return env


def render(template: str, **context: object) -> str:
    """Render one template of ``scripts_gen/templates`` with the given context."""
    return environment().get_template(template).render(**context)
