"""runbook: one YAML file is the single source of truth for a deployment runbook.

From it the tool renders the runbook site, the deploy and rollback scripts, and the
pytest-bdd scenarios that run those same steps against a staging target.
"""

__version__ = "0.1.0"
