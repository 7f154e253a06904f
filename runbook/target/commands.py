"""`runbook target up | down | status`: the staging target from the command line.

Thin wrappers: each command calls ``provision`` / ``container`` functions and prints the
endpoints. Docker problems arrive as ``TargetError`` and leave as one line with exit 2.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import click

from runbook.console import ok, say, warn


def handle_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """The CLI's error handling, looked up at call time: runbook.cli imports this module."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from runbook.cli import handle_errors as cli_handle_errors

        return cli_handle_errors(func)(*args, **kwargs)

    return wrapper


state_option = click.option(
    "--state-dir",
    default=".runbook/target",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Where the key pair, ssh_config and target record live.",
)


def provision(state_dir: Path, rebuild: bool = False) -> tuple[object, bool]:
    """Start dockerd if needed, build or reuse the image, run a fresh container."""
    from runbook.target import container, daemon, image

    client = daemon.client()
    container.remove(client, state_dir)
    built = image.ensure_image(client, rebuild=rebuild)
    return container.start(client, built.tag, state_dir), built.built


def describe(target: object) -> list[str]:
    """The lines that tell a person how to reach the target."""
    from runbook.target.container import HOST_ALIASES, Target

    assert isinstance(target, Target)
    return [
        f"container  {target.name} ({target.image})",
        f"ssh        ssh -F {target.ssh_config} {HOST_ALIASES[0]}   ({target.ssh_endpoint})",
        f"http       {target.http_url}/health",
        f"ssh_config {target.ssh_config}   (RUNBOOK_SSH_CONFIG for the scripts)",
    ]


@click.group()
def target() -> None:
    """The containerized staging target (Docker, ports on 127.0.0.1 only)."""


@target.command()
@state_option
@click.option("--rebuild", is_flag=True, help="Rebuild the image even when it is cached.")
@handle_errors
def up(state_dir: Path, rebuild: bool) -> None:
    """Build (or reuse) the image and start a fresh target; print its endpoints."""
    started, built = provision(state_dir, rebuild)
    ok(f"target is up ({'image built' if built else 'cached image'})")
    for line in describe(started):
        say(line)


@target.command()
@click.option("--rebuild", is_flag=True, help="Rebuild even when the image is cached.")
@handle_errors
def build(rebuild: bool) -> None:
    """Start dockerd if needed and build (or reuse) the target image; say how long it took."""
    import time

    from runbook.target import daemon, image

    started = time.monotonic()
    result = image.ensure_image(daemon.client(), rebuild=rebuild)
    took = time.monotonic() - started
    what = "built" if result.built else "cached"
    base = f", base {result.base}{' made with debootstrap' if result.base_built else ''}"
    ok(f"image {result.tag} {what} in {took:.1f} s{base if result.built else ''}")


@target.command()
@state_option
@handle_errors
def down(state_dir: Path) -> None:
    """Remove the target container and its key pair and ssh_config."""
    from runbook.target import container, daemon

    gone = container.remove(daemon.client(start=False), state_dir)
    if gone is None:
        warn("no target recorded in " + str(state_dir))
    else:
        ok(f"removed {gone.name}")


@target.command()
@state_option
@handle_errors
def status(state_dir: Path) -> None:
    """Say whether the recorded target runs, and how to reach it. Exit 1 when it does not."""
    from runbook.target import container, daemon

    found = container.load(state_dir)
    if found is None:
        say(f"no target recorded in {state_dir} (run `runbook target up`)")
        raise SystemExit(1)
    if not container.running(daemon.client(start=False), found):
        say(f"target {found.name} is not running (run `runbook target up`)")
        raise SystemExit(1)
    ok(f"target {found.name} is running")
    health = "ok" if container.healthy(found.http_url) else "FAILING"
    say(f"health     {health} ({found.http_url}/health)")
    for line in describe(found):
        say(line)
