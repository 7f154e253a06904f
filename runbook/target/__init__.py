"""The containerized staging target: image, container, and the `runbook target` commands.

- ``daemon``: reach Docker, starting ``dockerd`` when it is not running.
- ``image``: the target image, built locally from a debootstrapped Debian base and cached
  under a tag made from the hash of its definition.
- ``container``: start, find and remove the target; the per-run key pair and ssh_config.

Every failure to get a target is a ``runbook.errors.TargetError`` (one line, exit 2).
"""

from __future__ import annotations

__all__: list[str] = []
