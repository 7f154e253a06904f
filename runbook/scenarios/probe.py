"""A health probe that keeps requesting the service while a deploy or rollback runs.

Zero downtime is a measured count: every request that does not come back with 200 is a
failure, except answers whose body names a release the scenario deliberately made unhealthy
(that release's own health check is what triggers the automatic rollback). The body's shape
is the team's; the contract is only that the health body names the running version.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx

from runbook.scenarios.control import names_version

#: Seconds after a fault ends during which failed requests still belong to it (the service
#: notices its dependency is back, a restarted process manager starts the app).
FAULT_GRACE_S = 5.0
MAX_REQUESTS = 60_000
MAX_SECONDS = 120.0
#: At most one request per this many seconds (500 a second): a fast service's probe would
#: otherwise reach its request bound before a long run (a fault, a rollback) ends.
INTERVAL_S = 0.002


@dataclass
class ProbeReport:
    """What the probe saw: counts, and the versions that answered."""

    requests: int = 0
    failures: int = 0
    expected_unhealthy: int = 0
    seconds: float = 0.0
    bound: str = ""  # "requests" or "seconds" when the probe stopped at its bound, not when told
    versions: Counter[str] = field(default_factory=Counter)
    first_failures: list[str] = field(default_factory=list)
    in_fault_window: int = 0  # failed requests inside a fault's own window, not failures

    def summary(self) -> str:
        seen = ", ".join(f"{v}: {n}" for v, n in sorted(self.versions.items()))
        return (
            f"{self.requests} requests in {self.seconds:.1f} s, {self.failures} failed"
            f" ({self.expected_unhealthy} deliberate 503s"
            + (f", {self.in_fault_window} inside the fault" if self.in_fault_window else "")
            + f"); versions {seen or 'none'}"
            + (f"; stopped at its {self.bound} bound" if self.bound else "")
        )


class FaultWindow:
    """When a fault was on: failed requests inside it (plus the grace) are the fault's own."""

    def __init__(self) -> None:
        self.spans: list[list[float]] = []

    def open(self) -> None:
        self.spans.append([time.monotonic(), float("inf")])

    def close(self) -> None:
        if self.spans and self.spans[-1][1] == float("inf"):
            self.spans[-1][1] = time.monotonic()

    def covers(self, moment: float) -> bool:
        return any(start <= moment <= end + FAULT_GRACE_S for start, end in self.spans)


class Probe(threading.Thread):
    """Requests ``url`` in a loop until stopped, ``MAX_REQUESTS`` or ``MAX_SECONDS``."""

    def __init__(
        self,
        url: str,
        unhealthy_versions: frozenset[str] = frozenset(),
        known_versions: frozenset[str] = frozenset(),
        max_seconds: float | None = None,
        keepalive: bool = True,
        max_requests: int | None = None,
        window: FaultWindow | None = None,
    ) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.max_seconds = max_seconds  # None: MAX_SECONDS, read when the probe runs
        self.max_requests = max_requests  # None: MAX_REQUESTS
        self.keepalive = keepalive
        self.unhealthy = unhealthy_versions
        self.known = known_versions | unhealthy_versions
        self.report = ProbeReport()
        self.window = window  # failures inside a fault's window are the fault's own
        self._stop_event = threading.Event()

    def run(self) -> None:
        start = time.monotonic()
        max_requests = self.max_requests or MAX_REQUESTS
        max_seconds = self.max_seconds or MAX_SECONDS
        limits = httpx.Limits() if self.keepalive else httpx.Limits(max_keepalive_connections=0)
        with httpx.Client(timeout=5.0, limits=limits) as client:
            while not self._stop_event.is_set():
                if self.report.requests >= max_requests:
                    self.report.bound = "requests"
                    break
                if time.monotonic() - start > max_seconds:
                    self.report.bound = "seconds"
                    break
                began = time.monotonic()
                self._one(client)
                spare = INTERVAL_S - (time.monotonic() - began)
                if spare > 0:
                    time.sleep(spare)
        self.report.seconds = time.monotonic() - start

    def _one(self, client: httpx.Client) -> None:
        report = self.report
        report.requests += 1
        try:
            reply = client.get(self.url)
            body = reply.text
        except httpx.HTTPError as exc:
            self._fail(f"{type(exc).__name__}: {exc}")
            return
        named = sorted(v for v in self.known if names_version(body, v))
        report.versions[named[-1] if named else "?"] += 1
        if reply.status_code == 200:
            return
        if any(v in self.unhealthy for v in named):
            report.expected_unhealthy += 1
            return
        self._fail(f"{reply.status_code} {body[:120]}")

    def _fail(self, what: str) -> None:
        if self.window is not None and self.window.covers(time.monotonic()):
            self.report.in_fault_window += 1
            return
        self.report.failures += 1
        if len(self.report.first_failures) < 5:
            self.report.first_failures.append(what)

    def stop(self) -> ProbeReport:
        self._stop_event.set()
        self.join(timeout=10)
        return self.report
