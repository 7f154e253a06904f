"""A real Prometheus watching the staging target with the runbook's own alert rules.

Debian's `prometheus` runs on this machine, bound to 127.0.0.1 on a free port, scraping the
target's published HTTP port every second and evaluating the rules `runbook build` writes
(rendered here from the runbook under verification, so they are the same). It lives for one
scenario and is stopped by its process id. Every wait is bounded in time.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from pytest_bdd import given, parsers, then

READY_S = 60.0
ALERT_S = 240.0
POLL_S = 0.5


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _until(what: str, limit: float, probe: Callable[[], Any]) -> Any:
    """``probe()`` every half second until it returns something true, at most ``limit`` s."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(POLL_S)
    raise AssertionError(f"{what}: not within {limit:.0f} s")


class Prometheus:
    """One Prometheus process and what the scenario saw of it."""

    def __init__(self, workdir: Path, rules: str, http_port: int) -> None:
        binary = shutil.which("prometheus")
        if binary is None:
            pytest.skip("prometheus is not installed (Debian: apt-get install prometheus)")
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        (workdir / "alert-rules.yml").write_text(rules, encoding="utf-8")
        config = {
            "global": {
                "scrape_interval": "1s",
                "scrape_timeout": "1s",
                "evaluation_interval": "1s",
            },
            "rule_files": ["alert-rules.yml"],
            "scrape_configs": [
                {
                    "job_name": "staging-target",
                    "static_configs": [{"targets": [f"127.0.0.1:{http_port}"]}],
                }
            ],
        }
        (workdir / "prometheus.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
        self.log = (workdir / "prometheus.log").open("w")
        self.process = subprocess.Popen(
            [
                binary,
                f"--config.file={workdir / 'prometheus.yml'}",
                f"--storage.tsdb.path={workdir / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--log.level=warn",
            ],
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.seen: dict[str, float] = {}
        self.watching = ""

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=15)
        self.log.close()

    def get(self, path: str, **params: str) -> Any:
        try:
            reply = httpx.get(self.url + path, params=params, timeout=5)
        except httpx.HTTPError:
            return None
        if reply.status_code != 200:
            return None
        return reply.json()["data"] if path.startswith("/api/") else reply.text

    def value(self, query: str) -> float | None:
        data = self.get("/api/v1/query", query=query)
        if not data or not data["result"]:
            return None
        return float(data["result"][0]["value"][1])

    def alerts(self, name: str) -> list[dict[str, Any]]:
        data = self.get("/api/v1/alerts")
        return [a for a in (data or {}).get("alerts", []) if a["labels"].get("alertname") == name]


def _epoch(text: str) -> float:
    """Prometheus' RFC 3339 time (nanoseconds, `Z`) in seconds since the epoch."""
    found = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d{1,6})?", text)
    assert found, text
    stamp = datetime.fromisoformat(found.group(1) + (found.group(2) or "")).replace(tzinfo=UTC)
    return stamp.timestamp()


def _alert(world: Any, metric: str, level: str) -> Any:
    from runbook.alerts import alerts

    return next(
        a for a in alerts(world.loaded.runbook) if a.metric_id == metric and a.level == level
    )


@given(
    "Prometheus scrapes the staging target with the runbook's alert rules",
    target_fixture="prometheus",
)
def prometheus_watches(world: Any, tmp_path: Path, request: pytest.FixtureRequest) -> Prometheus:
    """Started, ready, its rules loaded, and the target scraped up at least once."""
    from runbook.alerts import RULES_FILE, render_monitoring

    rules = render_monitoring(world.loaded)[f"monitoring/{RULES_FILE}"]
    prometheus = Prometheus(tmp_path, rules, world.target.http_port)
    request.addfinalizer(prometheus.stop)
    _until("Prometheus ready", READY_S, lambda: prometheus.get("/-/ready"))
    groups = _until("the rules loaded", READY_S, lambda: prometheus.get("/api/v1/rules"))
    loaded = [r["name"] for g in groups["groups"] for r in g["rules"] if r["type"] == "alerting"]
    written = [
        r["alert"] for g in yaml.safe_load(rules)["groups"] for r in g["rules"] if "alert" in r
    ]
    assert loaded == written, loaded
    _until("the target scraped", READY_S, lambda: prometheus.value('up{job="staging-target"} == 1'))
    return prometheus


@given(parsers.parse("Prometheus records {metric} at {value:g} with no alert"))
def recorded_quiet(world: Any, prometheus: Prometheus, metric: str, value: float) -> None:
    """The metric's recording rule has a value, the given one, and neither alert is active."""
    record = _alert(world, metric, "critical").record
    _until(f"{record} = {value:g}", READY_S, lambda: prometheus.value(record) == value)
    for level in ("warning", "critical"):
        assert not prometheus.alerts(_alert(world, metric, level).name)


@then(
    parsers.parse(
        "the {level} alert of {metric} fires with the runbook_url of the emergency {emergency}"
    )
)
def alert_fires(
    world: Any, prometheus: Prometheus, level: str, metric: str, emergency: str
) -> None:
    """Pending first, then firing once its `for` has passed, labelled and annotated as generated."""
    expected = _alert(world, metric, level)
    ended, ended_wall = time.monotonic(), time.time()

    def firing() -> Any:
        found = prometheus.alerts(expected.name)
        return next((a for a in found if a["state"] == "firing"), None)

    alert = _until(f"{expected.name} firing", ALERT_S, firing)
    prometheus.seen["firing"] = round(time.monotonic() - ended, 1)
    # when it became pending, by Prometheus' clock: before the run ended, if negative
    prometheus.seen["pending"] = round(_epoch(alert["activeAt"]) - ended_wall, 1)
    url = alert["annotations"]["runbook_url"]
    assert url == expected.annotations["runbook_url"], url
    assert url.endswith(f"/incidents/emergencies/#emergency-{emergency}"), url
    assert {k: alert["labels"].get(k) for k in expected.labels} == expected.labels
    prometheus.watching = expected.name
    world.properties.append(("alert", {"name": expected.name, **prometheus.seen}))


@then("that alert resolves")
def alert_resolves(world: Any, prometheus: Prometheus) -> None:
    """No longer active (neither firing nor pending), bounded in time."""
    name = prometheus.watching
    started = time.monotonic()
    _until(f"{name} resolved", ALERT_S, lambda: not prometheus.alerts(name))
    prometheus.seen["resolved"] = round(prometheus.seen["firing"] + time.monotonic() - started, 1)
    world.properties.append(("alert", {"name": name, **prometheus.seen}))
    print(f"alert {name}, seconds after the run ended: {prometheus.seen}")
