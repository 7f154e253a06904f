"""The staging target: the team's own container, on which `runbook verify` proves the runbook.

The tool knows no stack. The team says how its image is built (its own Dockerfile, or Debian
packages and setup on the tool's debootstrap base), how its processes start, how the harness
resets and activates a release between scenarios, and which two releases the scenarios
deploy. The tool adds sshd (key authentication only) and the environments' SSH users, names
the container after the environments' hosts and publishes its ports on 127.0.0.1 only.

Paths are relative to the directory of the runbook file that declares the target.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field, StrictInt, StringConstraints, model_validator

from runbook.model.base import Id, Strict
from runbook.model.text import Code, OptionalCode

RELATIVE_PATTERN = r"^[A-Za-z0-9._@+-][A-Za-z0-9._/@+-]*$"
IMAGE_PATH_PATTERN = r"^/[A-Za-z0-9._/@+-]*$"
PACKAGE_PATTERN = r"^[a-z0-9][a-z0-9+.-]+$"
TAG_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,99}$"


def _inside(value: str) -> str:
    if ".." in value.split("/"):
        raise ValueError("a path may not climb out with `..`")
    return value


RelativePath = Annotated[
    str,
    StringConstraints(pattern=RELATIVE_PATTERN, max_length=1024),
    AfterValidator(_inside),
    Field(description="A relative path without `..`: letters, digits and `._/@+-`."),
]
ImagePath = Annotated[
    str,
    StringConstraints(pattern=IMAGE_PATH_PATTERN, max_length=1024),
    Field(description="An absolute path inside the image."),
]
Shell = Annotated[Code, Field(description="Bash, run with `set -euo pipefail`.")]

#: The variables every hook runs with (besides the runtime variables of the staging deploy).
HOOK_VARIABLES: dict[str, str] = {
    "DEPLOY_PATH": "Root of the deployment (from the first environment, usually staging).",
    "DEPLOY_USER": "The SSH user of that environment, who owns the deployment.",
    "VERSION": "`activate`, `install`: the release being installed.",
    "RELEASE_DIR": "`activate`, `install`: `$DEPLOY_PATH/releases/$VERSION`.",
    "ARTIFACT": "`install`: the built artifact, copied onto the target.",
    "MARK": "`data.write`: the text to record.",
}


class TargetImage(Strict):
    """How the target image is built: the team's Dockerfile, or packages on the Debian base.

    With `dockerfile`, a `FROM` image that is neither present nor pullable is replaced by the
    tool's Debian bookworm base (made with debootstrap), and the build says so.
    """

    dockerfile: RelativePath | None = Field(
        None, description="The project's Dockerfile, relative to the runbook file."
    )
    context: RelativePath | None = Field(
        None, description="Build context of `dockerfile`; default: the Dockerfile's directory."
    )
    packages: list[Annotated[str, StringConstraints(pattern=PACKAGE_PATTERN, max_length=100)]] = (
        Field(
            default_factory=list,
            max_length=500,
            description="Debian packages installed on the tool's bookworm base (without `dockerfile`).",
        )
    )
    files: dict[RelativePath, ImagePath] = Field(
        default_factory=dict,
        description="Files copied into the image: local path (relative) -> absolute path.",
    )
    setup: Shell | None = Field(
        None, description="Run as root when the image is built, after `packages` and `files`."
    )

    @model_validator(mode="after")
    def _one_way(self) -> TargetImage:
        if self.dockerfile is None and not self.packages and self.setup is None:
            raise ValueError("give either `dockerfile` or `packages` (with `files` and `setup`)")
        if self.dockerfile is not None and (self.packages or self.files or self.setup):
            raise ValueError("`packages`, `files` and `setup` do not apply with a `dockerfile`")
        if self.context is not None and self.dockerfile is None:
            raise ValueError("`context` applies only with a `dockerfile`")
        return self


class ReleaseChange(Strict):
    """Files that differ from the source tree in one release."""

    files: dict[RelativePath, OptionalCode] = Field(
        default_factory=dict, description="Files written over the source tree: path -> content."
    )
    without: list[RelativePath] = Field(
        default_factory=list, description="Paths of the source tree this release does not have."
    )


class Release(ReleaseChange):
    """One tagged release of the service, built from the source tree with its changes."""

    tag: Annotated[str, StringConstraints(pattern=TAG_PATTERN)] = Field(
        description="The git tag, which is the version the scripts deploy."
    )


class Releases(Strict):
    """The releases the scenarios deploy, made into a git repository like a team's checkout.

    The harness commits the source tree once per release (oldest first) and tags each commit;
    every environment's branch points at the newest. The unhealthy release is one commit more
    on top, whose health check fails: the scenarios deploy it to prove the automatic rollback.
    """

    source: RelativePath = Field(description="The service's source tree, relative to the runbook.")
    versions: list[Release] = Field(
        min_length=2,
        max_length=2,
        description="The baseline release and the release the scenarios deploy, oldest first.",
    )
    unhealthy: ReleaseChange = Field(
        description="What one more commit changes so that the health check fails."
    )
    failing: ReleaseChange | None = Field(
        None,
        description="What one more commit changes so that the deploy's first step with "
        "`changes` fails halfway (a migration that fails after an earlier one applied): the "
        "fault scenarios prove that the script says what changed and how to undo it.",
    )

    @model_validator(mode="after")
    def _distinct(self) -> Releases:
        if self.versions[0].tag == self.versions[1].tag:
            raise ValueError("the two releases need different tags")
        return self

    @property
    def baseline(self) -> str:
        return self.versions[0].tag

    @property
    def newest(self) -> str:
        return self.versions[-1].tag


class DataHooks(Strict):
    """How the scenarios see the service's data, to prove a backup restore."""

    write: Shell = Field(description="Run as the deploy user: record the text `$MARK`.")
    read: Shell = Field(description="Run as the deploy user: print every recorded mark.")


class Dependency(Strict):
    """A service the target depends on (a database, a queue), which a fault scenario stops."""

    stop: Shell = Field(description="Run as root: stop it (the service may then fail).")
    start: Shell = Field(description="Run as root: start it again and wait until it answers.")


class FleetGroup(Strict):
    """How the containers of one host group run: the same image, their own processes."""

    start: Shell = Field(
        description="Run as root when a container of this group starts, after sshd, instead of "
        "`start`. `$RUNBOOK_GROUP` names the group and `$HOSTS_<GROUP>` (e.g. `$HOSTS_APP`) "
        "lists each group's host names, which resolve between the containers."
    )
    reset: Shell | None = Field(
        None, description="Run as root on each host of the group before each scenario."
    )
    activate: Shell | None = Field(
        None,
        description="Run as root after the harness installed a release on a host of the "
        "rolling group; default `activate`.",
    )


class FleetTarget(Strict):
    """A fleet environment's staging target: one container per host, on a private network.

    Every container runs the target image; each group says how its processes start. Only
    SSH (every host) and the `ingress` group's first host's `http_port` are published, on
    127.0.0.1, where the probe requests the service through the load balancer.
    """

    environment: Id = Field(description="The fleet environment whose hosts the containers play.")
    ingress: Id = Field(
        description="The group whose first host the probe requests (the load balancer)."
    )
    groups: dict[Id, FleetGroup] = Field(
        min_length=1, description="How each of the environment's groups runs, by group id."
    )


class Target(Strict):
    """The team's staging target: image, processes, hooks and the releases it deploys."""

    image: TargetImage = Field(description="How the image is built.")
    start: Shell = Field(
        description=(
            "Run as root when the container starts, after sshd: starts the service's processes "
            "(in the background, or `exec` a process manager in the foreground)."
        )
    )
    http_port: StrictInt = Field(
        80, ge=1, le=65535, description="Port in the container where `health_path` answers."
    )
    reset: Shell | None = Field(
        None,
        description=(
            "Run as root before each scenario: stop the service and empty its data. The tool "
            "then removes the releases, backups, `current`, `revisions.log` and the lock."
        ),
    )
    install: Shell | None = Field(
        None,
        description=(
            "Run as the deploy user to unpack `$ARTIFACT` into `$RELEASE_DIR`; default "
            '`mkdir -p "$RELEASE_DIR" && tar -xzf "$ARTIFACT" -C "$RELEASE_DIR"`.'
        ),
    )
    activate: Shell = Field(
        description=(
            "Run as root after the harness installed a release and pointed `current` at it: "
            "migrations, then start or reload the service."
        )
    )
    data: DataHooks | None = Field(
        None, description="How to write and read data, for the backup-restore scenario."
    )
    releases: Releases = Field(description="The releases the scenarios deploy.")
    dependencies: dict[Id, Dependency] = Field(
        default_factory=dict,
        description="Services the target depends on, by name: the fault scenarios stop each "
        "before the backup and after the switch, and prove what the scripts say and do.",
    )
    ready_timeout: StrictInt = Field(
        90, ge=5, le=900, description="Seconds to wait for the service to answer after a start."
    )
    fleet: FleetTarget | None = Field(
        None,
        description="A fleet environment's target: one container per host, for the fleet "
        "scenarios (rolling deploy, batch rollback, unreachable host, fleet rollback, lock).",
    )
