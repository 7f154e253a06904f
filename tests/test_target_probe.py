"""The downtime probe counts what a user would see as failures, and only that."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from runbook.scenarios import probe as probe_module
from runbook.scenarios.probe import Probe


class Replies:
    """(status, version) answered in turn by the fake service, the last one repeated."""

    def __init__(self) -> None:
        self.script: list[tuple[int, str]] = [(200, "v1")]
        self.index = 0
        self.plain = False

    def next(self) -> tuple[int, str]:
        reply = self.script[min(self.index, len(self.script) - 1)]
        self.index += 1
        return reply


@pytest.fixture
def service() -> Iterator[tuple[str, Replies]]:
    replies = Replies()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, version = replies.next()
            body = json.dumps(
                {"status": "ok" if status == 200 else "error", "version": version, "database": "ok"}
            ).encode()
            if replies.plain:  # another team's health body: plain text naming the release
                body = f"release {version} {'up' if status == 200 else 'down'}\n".encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain" if replies.plain else "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/health", replies
    finally:
        server.shutdown()
        server.server_close()


def _probe_until(url: str, count: int, unhealthy: frozenset[str] = frozenset()) -> Probe:
    probe = Probe(url, unhealthy, frozenset({"v1", "v2"}))
    probe.start()
    deadline = time.monotonic() + 10
    while probe.report.requests < count and time.monotonic() < deadline:
        time.sleep(0.01)
    probe.stop()
    return probe


def test_healthy_answers_are_not_failures(service: tuple[str, Replies]) -> None:
    url, _ = service
    report = _probe_until(url, 20).report
    assert report.requests >= 20 and report.failures == 0 and report.versions["v1"] >= 20


@pytest.mark.parametrize(
    ("answers", "unhealthy", "failures", "deliberate"),
    [
        ([(502, "v1"), (200, "v1")], frozenset(), 1, 0),
        ([(503, "v2"), (503, "v2"), (200, "v1")], frozenset({"v2"}), 0, 2),
        ([(503, "v1"), (200, "v1")], frozenset({"v2"}), 1, 0),
    ],
)
@pytest.mark.parametrize("plain", [False, True], ids=["json", "plain-text"])
def test_failures_and_deliberate_503s(
    service: tuple[str, Replies],
    answers: list[tuple[int, str]],
    unhealthy: frozenset[str],
    failures: int,
    deliberate: int,
    plain: bool,
) -> None:
    """Whatever the body's shape, an unhealthy answer is deliberate only if it names the
    deliberately unhealthy release."""
    url, replies = service
    replies.script = answers
    replies.plain = plain
    report = _probe_until(url, 10, unhealthy).report
    assert (report.failures, report.expected_unhealthy) == (failures, deliberate)


def test_connection_refused_is_a_failure() -> None:
    report = _probe_until("http://127.0.0.1:9/health", 3).report
    assert report.failures == report.requests >= 3
    assert report.first_failures and "ConnectError" in report.first_failures[0]


@pytest.mark.parametrize(
    ("bound", "requests", "seconds"), [("requests", 5, 60.0), ("seconds", 10_000_000, 0.3)]
)
def test_the_probe_stops_at_its_bounds_and_says_so(
    service: tuple[str, Replies],
    monkeypatch: pytest.MonkeyPatch,
    bound: str,
    requests: int,
    seconds: float,
) -> None:
    """Bounded in count and time, and a scenario can tell that the run outlasted the probe."""
    monkeypatch.setattr(probe_module, "MAX_REQUESTS", requests)
    monkeypatch.setattr(probe_module, "MAX_SECONDS", seconds)
    url, _ = service
    probe = Probe(url)
    probe.start()
    probe.join(timeout=10)
    assert not probe.is_alive()
    report = probe.stop()
    assert report.bound == bound and f"stopped at its {bound} bound" in report.summary()
    if bound == "requests":
        assert report.requests == requests
    else:
        assert seconds <= report.seconds < seconds + 5


def test_a_probe_stopped_in_time_names_no_bound(service: tuple[str, Replies]) -> None:
    url, _ = service
    report = _probe_until(url, 5).report
    assert report.bound == "" and "bound" not in report.summary()


def test_the_probe_keeps_its_pace(service: tuple[str, Replies]) -> None:
    """At most one request per INTERVAL_S: a fast service does not exhaust the request bound
    before a long run ends."""
    url, _ = service
    probe = Probe(url)
    probe.start()
    time.sleep(1.0)
    report = probe.stop()
    assert 0 < report.requests <= 1.0 / probe_module.INTERVAL_S + 20
