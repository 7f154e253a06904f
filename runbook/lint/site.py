"""The site's extension point for the lint rules (read by ``runbook.site.pages``).

The site appends ``pages(loaded)`` to its own pages and lists them under "Lint rules".
"""

from __future__ import annotations

from runbook.lint.docs import rule_pages
from runbook.loader import LoadedRunbook


def pages(loaded: LoadedRunbook) -> dict[str, str]:
    """One page per lint rule and their index, noting where this runbook switches them off."""
    return rule_pages(loaded.runbook)
