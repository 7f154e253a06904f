"""The one jinja2 environment of the playbook generator's bash templates.

The same settings as the scripts' (``StrictUndefined``, no HTML escaping, ``{#`` left to
bash) and the same single quoting filter ``q``; the YAML around the bash is written by the
YAML emitter (``yamltext``), never by a template.
"""

from __future__ import annotations

from functools import cache

import jinja2

from runbook.fleet.quoting import q


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("runbook.fleet", "templates"),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        comment_start_string="{##",
        comment_end_string="##}",
    )
    env.filters["q"] = q
    return env


def render(template: str, **context: object) -> str:
    """Render one bash template of ``runbook/fleet/templates``."""
    return environment().get_template(template).render(**context)
