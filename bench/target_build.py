"""Measure a project's target image build: cold, cached, and after a definition change.

    python bench/target_build.py [RUNBOOK] [--cold]

RUNBOOK defaults to the example's runbook.yaml. --cold first removes that project's target
images, the debootstrapped base and the build cache, so the figure includes debootstrap.
Without it, the first figure is whatever the machine has cached.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

from runbook.loader import load
from runbook.target import daemon, image


def forget_everything(client: object, spec: image.Definition) -> None:
    """Remove this project's target images, the base image and the layer cache."""
    for found in client.images.list():  # type: ignore[attr-defined]
        if any(t.startswith((f"{spec.repo}", f"{image.BASE_REPO}:")) for t in found.tags):
            client.images.remove(found.id, force=True)  # type: ignore[attr-defined]
    client.images.prune(filters={"dangling": False})  # type: ignore[attr-defined]
    client.api.prune_builds()  # type: ignore[attr-defined]


def timed(label: str, func: object) -> float:
    start = time.monotonic()
    result = func()  # type: ignore[operator]
    seconds = time.monotonic() - start
    print(f"{label:<34} {seconds:7.1f} s  {result}", flush=True)
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runbook", nargs="?", default="runbook.yaml", type=Path)
    parser.add_argument("--cold", action="store_true", help="start from no images at all")
    args = parser.parse_args()
    client = daemon.client()
    spec = image.definition(load(args.runbook))
    if args.cold:
        forget_everything(client, spec)
        timed("debootstrap base image", lambda: image.ensure_base(client))
    timed(
        "target image on that base" if args.cold else "first build",
        lambda: image.ensure_image(client, spec),
    )
    timed("cached (tag present)", lambda: image.ensure_image(client, spec))
    timed("start script changed (layer cache)", lambda: changed_build(client, spec))
    return 0


def changed_build(client: object, spec: image.Definition) -> object:
    """Build with a changed start script: only the tool's last layers rebuild."""
    files = {**spec.tool_files, "start.sh": spec.tool_files["start.sh"] + f"# {time.time()}\n"}
    result = image.ensure_image(client, dataclasses.replace(spec, tool_files=files))
    client.images.remove(result.tag)  # type: ignore[attr-defined]
    return result


if __name__ == "__main__":
    sys.exit(main())
