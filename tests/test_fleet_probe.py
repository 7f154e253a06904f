"""The fleet's probe: a fresh connection per request, and a bound long enough for batches."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from runbook.scenarios.probe import Probe


@pytest.fixture
def keepalive_service() -> Iterator[tuple[str, list[int]]]:
    """An HTTP/1.1 service that keeps connections open; it records each request's client port."""
    ports: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            ports.append(self.client_address[1])
            body = b'{"status": "ok", "version": "v1"}'
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/health", ports
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("keepalive", [True, False])
def test_without_keepalive_each_request_has_its_own_connection(
    keepalive_service: tuple[str, list[int]], keepalive: bool
) -> None:
    url, ports = keepalive_service
    probe = Probe(url, known_versions=frozenset({"v1"}), keepalive=keepalive, max_requests=40)
    probe.start()
    probe.join(timeout=30)
    report = probe.report
    assert report.requests == 40 and report.failures == 0 and report.bound == "requests"
    if keepalive:
        assert len(set(ports)) < 5  # one connection, reused
    else:
        assert len(set(ports)) == len(ports) == 40


def test_a_longer_bound_outlasts_the_single_hosts(keepalive_service: tuple[str, list[int]]) -> None:
    url, _ = keepalive_service
    probe = Probe(url, max_seconds=0.5)
    probe.start()
    time.sleep(0.2)
    assert probe.is_alive()
    probe.join(timeout=10)
    assert probe.report.bound == "seconds" and probe.report.seconds >= 0.5
