"""Deployment history: the scripts' JSON-lines logs, collected into runs and measured.

``logs`` reads lines (a bad or truncated line is reported with its file and line, and
skipped); ``runs`` groups them into runs and keeps the history file; ``collect`` finds the
logs on the deploying machine and, over SSH, on the targets; ``measures`` computes durations,
the success rate and DORA's four measures and holds them to the runbook's performance targets;
``charts`` draws them as SVG at build time; ``page`` gives the site its history page and the
procedure pages their measured medians; ``command`` is `runbook history`.

The package imports nothing itself, so `runbook --help` lists `history` without pydantic.
"""
