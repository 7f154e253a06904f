"""Environments: where a procedure deploys, and how the scripts reach it."""

from __future__ import annotations

from typing import Annotated

from pydantic import (
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    field_validator,
    model_validator,
)

from runbook.model.base import Id, Strict
from runbook.model.ere import check_ere
from runbook.model.fleet import Rolling
from runbook.model.runtime import DEPLOY_PATH_CONTRACT
from runbook.model.text import Code, Label, Prose

HOST_PATTERN = r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
USER_PATTERN = r"^[a-z_][a-z0-9_-]{0,31}$"
PATH_PATTERN = r"^/[A-Za-z0-9._/-]*$"
URL_PATH_PATTERN = r"^/[A-Za-z0-9._~/?=&%-]*$"

Host = Annotated[
    str,
    StringConstraints(pattern=HOST_PATTERN, max_length=253),
    Field(description="Host name or IPv4 address the scripts connect to over SSH."),
]
User = Annotated[
    str,
    StringConstraints(pattern=USER_PATTERN),
    Field(description="POSIX user name used for SSH."),
]
AbsPath = Annotated[
    str,
    StringConstraints(pattern=PATH_PATTERN, max_length=4096),
    Field(description="Absolute path on the target: letters, digits, `.`, `_`, `-` and `/` only."),
]
UrlPath = Annotated[
    str,
    StringConstraints(pattern=URL_PATH_PATTERN, max_length=2048),
    Field(description="Path of an HTTP request, starting with `/`."),
]

Groups = Annotated[
    dict[Id, Annotated[list[Host], Field(min_length=1, max_length=500)]],
    Field(min_length=1, description="Host groups of a fleet: group id -> its hosts, in order."),
]


class Endpoint(Strict):
    """An HTTP endpoint checked after a deploy or rollback, from the target itself."""

    path: UrlPath
    status: StrictInt = Field(200, ge=100, le=599, description="Expected HTTP status code.")
    contains: Code | None = Field(
        None, description="Text the response body must contain (may use `$VERSION`)."
    )
    title: Label | None = Field(None, description="What the endpoint proves, for the reader.")


class Environment(Strict):
    """A place the service runs: how to reach it, where releases live, what production asks for."""

    title: Label = Field(description="Human name, e.g. `Staging`.")
    description: Prose = Field("", description="What this environment is for.")
    host: Host | None = Field(
        None,
        description="The one host the scripts deploy to; a fleet names `groups` instead.",
    )
    groups: Groups | None = Field(
        None,
        description="A fleet: host groups (e.g. `app`, `db`, `lb`), each a list of hosts. "
        "Its procedures are generated as Ansible playbooks, not bash scripts.",
    )
    rolling: Rolling | None = Field(
        None, description="A fleet's rolling policy: which group is deployed in batches, how."
    )
    ssh_user: User = Field(description="User the scripts log in as (key authentication only).")
    ssh_port: StrictInt = Field(22, ge=1, le=65535, description="SSH port of the host.")
    deploy_path: AbsPath = Field(description=DEPLOY_PATH_CONTRACT)
    base_url: str = Field(
        "http://127.0.0.1",
        max_length=2048,
        pattern=r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$",
        description="Base URL of the service as seen from the target; endpoints are relative to it.",
    )
    branch: str | None = Field(
        None,
        max_length=255,
        pattern=r"^[A-Za-z0-9._/-]+$",
        description="Git branch a deploy must start from; none means any branch.",
    )
    require_tag: StrictBool = Field(
        False, description="Whether a deploy needs an existing version tag."
    )
    tag_pattern: str = Field(
        r"^v[0-9]+\.[0-9]+\.[0-9]+$",
        min_length=1,
        max_length=256,
        description="Regular expression (POSIX ERE, as bash's `=~` reads it) a version tag must "
        "match: `[0-9]`, not `\\d`; no back-references or lookarounds.",
    )
    confirmations: StrictInt = Field(
        0, ge=0, le=10, description="How many confirmations a deploy to this environment asks for."
    )
    health_path: UrlPath = Field("/health", description="Health endpoint, reporting the version.")
    endpoints: list[Endpoint] = Field(
        default_factory=list, description="Endpoints tested after a deploy to this environment."
    )
    keep_releases: StrictInt = Field(
        5,
        ge=2,
        le=100,
        description="Releases kept on the target; the running and the previous one are never deleted.",
    )
    stale_lock_minutes: StrictInt = Field(
        30,
        ge=1,
        le=1440,
        description="Age after which a deploy lock whose owner cannot be checked is taken over.",
    )

    @field_validator("tag_pattern")
    @classmethod
    def _tag_pattern_is_ere(cls, value: str) -> str:
        return check_ere(value)

    @model_validator(mode="after")
    def _one_host_or_a_fleet(self) -> Environment:
        if (self.host is None) == (self.groups is None):
            raise ValueError("give either `host` (one host) or `groups` (a fleet), not both")
        if self.groups is None:
            if self.rolling is not None:
                raise ValueError("`rolling` applies only to a fleet (`groups`)")
            return self
        if self.rolling is None:
            raise ValueError("a fleet needs a `rolling` policy (at least its `group`)")
        seen: dict[str, str] = {}
        for group, hosts in self.groups.items():
            for host in hosts:
                if host in seen:
                    raise ValueError(f"host {host} is in both groups {seen[host]} and {group}")
                seen[host] = group
        named = {"group": self.rolling.group, "balancer": self.rolling.balancer}
        for what, name in named.items():
            if name is not None and name not in self.groups:
                known = ", ".join(self.groups)
                raise ValueError(f"rolling.{what} '{name}' is not one of the groups ({known})")
        if (self.rolling.drain or self.rolling.undrain) and self.rolling.balancer is None:
            raise ValueError("rolling.drain and rolling.undrain need a `balancer` group")
        return self

    @property
    def is_fleet(self) -> bool:
        """Several hosts in groups, deployed by Ansible playbooks rather than one bash script."""
        return self.groups is not None

    @property
    def all_hosts(self) -> list[str]:
        """Every host of the environment: the one host, or the fleet's in group order."""
        if self.groups is None:
            return [self.host] if self.host else []
        return [host for hosts in self.groups.values() for host in hosts]

    @property
    def health_url(self) -> str:
        """The health URL as the target itself requests it."""
        return self.base_url + self.health_path
