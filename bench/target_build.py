"""Measure the staging target image build: cold, cached, and after a definition change.

    python bench/target_build.py [--cold]

--cold first removes the target images, the debootstrapped base and the build cache, so the
figure includes debootstrap. Without it, the first figure is whatever the machine has cached.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from runbook.target import daemon, image


def forget_everything(client: object) -> None:
    """Remove every target and base image and the layer cache."""
    for found in client.images.list():  # type: ignore[attr-defined]
        if any(t.startswith((f"{image.IMAGE_REPO}:", f"{image.BASE_REPO}:")) for t in found.tags):
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
    parser.add_argument("--cold", action="store_true", help="start from no images at all")
    args = parser.parse_args()
    client = daemon.client()
    if args.cold:
        forget_everything(client)
        timed("debootstrap base image", lambda: image.ensure_base(client))
    timed(
        "target image on that base" if args.cold else "first build",
        lambda: image.ensure_image(client),
    )
    timed("cached (tag present)", lambda: image.ensure_image(client))
    timed("service changed (layer cache)", lambda: changed_service_build(client))
    return 0


def changed_service_build(client: object) -> object:
    """Build with a copy of the service that has one more file: only the last layers rebuild."""
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "service"
        shutil.copytree(image.SERVICE_DIR, copy)
        (copy / "CHANGED").write_text(str(time.time()), encoding="utf-8")
        original, image.SERVICE_DIR = image.SERVICE_DIR, copy
        try:
            result = image.ensure_image(client)
        finally:
            image.SERVICE_DIR = original
        client.images.remove(result.tag)  # type: ignore[attr-defined]
        return result


if __name__ == "__main__":
    sys.exit(main())
