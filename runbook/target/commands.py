"""`runbook target up | down | status`: the staging target from the command line.

Thin wrappers: each command calls ``provision`` / ``container`` functions and prints the
endpoints. Docker problems arrive as ``TargetError`` and leave as one line with exit 2.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from runbook.arguments import file_argument
from runbook.console import ok, say, warn

state_option = click.option(
    "--state-dir",
    default=".runbook/target",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Where the key pair, ssh_config and target record live.",
)


def _definition(file: Path) -> tuple[Any, Any]:
    from runbook.loader import load
    from runbook.target import image

    loaded = load(file)
    return loaded, image.definition(loaded)


def provision(file: Path, state_dir: Path, rebuild: bool = False) -> tuple[Any, Any]:
    """Start dockerd if needed, build or reuse the image, run a fresh container."""
    from runbook.target import container, daemon, image

    loaded, spec = _definition(file)
    client = daemon.client()
    container.remove(client, state_dir)
    built = image.ensure_image(client, spec, rebuild=rebuild)
    shape = container.Shape.of(loaded.runbook)
    return container.start(client, built.tag, state_dir, shape), built


def describe(target: object) -> list[str]:
    """The lines that tell a person how to reach the target."""
    from runbook.target.container import Target

    assert isinstance(target, Target)
    host = target.hosts[0] if target.hosts else "127.0.0.1"
    return [
        f"container  {target.name} ({target.image})",
        f"ssh        ssh -F {target.ssh_config} {host}   ({target.ssh_endpoint})",
        f"http       {target.health_url}",
        f"ssh_config {target.ssh_config}   (RUNBOOK_SSH_CONFIG for the scripts)",
    ]


def _built_line(result: Any, took: float | None = None) -> str:
    what = "built" if result.built else "cached"
    base = f", base {result.base}{' made with debootstrap' if result.base_built else ''}"
    timing = f" in {took:.1f} s" if took is not None else ""
    return f"image {result.tag} {what}{timing}{base if result.built else ''}"


@click.group()
def target() -> None:
    """The team's containerized staging target (Docker, ports on 127.0.0.1 only).

    Built from the runbook's `target:` section: the team's Dockerfile or Debian packages,
    plus sshd and the deploy users added by the tool.
    """


@target.command()
@file_argument
@state_option
@click.option("--rebuild", is_flag=True, help="Rebuild the image even when it is cached.")
@click.option(
    "--bare", is_flag=True, help="Install no release (by default the baseline release serves)."
)
def up(file: Path, state_dir: Path, rebuild: bool, bare: bool) -> None:
    """Build (or reuse) the image, start a fresh target, install the baseline release.

    Then try the generated scripts on it with RUNBOOK_SSH_CONFIG set to the printed
    ssh_config, from a checkout of the service.
    """
    started, built = provision(file, state_dir, rebuild)
    for note in built.notes:
        warn(note)
    ok(f"target is up ({'image built' if built.built else 'cached image'})")
    if not bare:
        version = install_baseline(file, started, state_dir)
        ok(f"{version} serves on {started.health_url} (the runbook's baseline release)")
    for line in describe(started):
        say(line)


def install_baseline(file: Path, started: Any, state_dir: Path) -> str:
    """Build the baseline release with the runbook's own build step and install it, as the
    scenarios do before each run, so the target serves something to deploy over."""
    import tempfile

    from runbook.errors import TargetError
    from runbook.loader import load
    from runbook.scenarios.checkout import Checkout
    from runbook.scenarios.control import TargetControl
    from runbook.scenarios.releases import Artifacts
    from runbook.target import daemon

    loaded = load(file)
    rb = loaded.runbook
    assert rb.target is not None
    releases = rb.target.releases
    with tempfile.TemporaryDirectory(prefix="runbook-up-") as tmp:
        branches = {env.branch for env in rb.environments.values() if env.branch}
        source = loaded.path.resolve().parent / releases.source
        try:
            repo = Checkout.create(Path(tmp) / "repo", source, releases, branches)
            control = TargetControl(daemon.client(), started, rb)
            control.install(
                releases.baseline, Artifacts(loaded, repo, Path(tmp)).get(releases.baseline)
            )
        except AssertionError as exc:  # the harness's own failures: one line
            raise TargetError(
                f"installing {releases.baseline}: {' '.join(str(exc).split())[:400]}"
            ) from None
    return releases.baseline


@target.command()
@file_argument
@click.option("--rebuild", is_flag=True, help="Rebuild even when the image is cached.")
def build(file: Path, rebuild: bool) -> None:
    """Start dockerd if needed and build (or reuse) the target image; say how long it took."""
    import time

    from runbook.target import daemon, image

    _, spec = _definition(file)
    started = time.monotonic()
    result = image.ensure_image(daemon.client(), spec, rebuild=rebuild)
    for note in result.notes:
        warn(note)
    ok(_built_line(result, time.monotonic() - started))


@target.command()
@state_option
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
    health = "ok" if container.healthy(found.health_url) else "not answering 200 (no release yet?)"
    say(f"health     {health} ({found.health_url})")
    for line in describe(found):
        say(line)
