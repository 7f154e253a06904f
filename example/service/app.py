"""items-api: the example service the runbook deploys.

A WSGI application (standard library only, plus Debian's python3-psycopg2 for PostgreSQL and
python3-prometheus-client for /metrics, which the runbook's alert rules query).
Its version is the name of the release directory it runs from, because releases live in
`/srv/app/releases/<VERSION>/`: what serves is exactly what was unpacked there.

Under gunicorn each worker is a process, so the counters live in files shared by the workers
(`PROMETHEUS_MULTIPROC_DIR`, set by supervisor) and /metrics adds them up; `items_api_healthy`
is the health check itself, evaluated at every scrape.
"""

from __future__ import annotations

import contextlib
import html
import json
import os
import time
import urllib.request
from collections.abc import Callable, Iterable
from typing import Any

RELEASE_DIR = os.path.dirname(os.path.realpath(__file__))
VERSION = os.path.basename(RELEASE_DIR)
DSN = os.environ.get("ITEMS_DSN", "dbname=app connect_timeout=3")
FAIL_FLAG = os.path.join(RELEASE_DIR, "FAIL_HEALTHCHECK")
EXTERNAL = [u for u in os.environ.get("ITEMS_EXTERNAL_URLS", "").split(",") if u]
MULTIPROC_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
if MULTIPROC_DIR:
    os.makedirs(MULTIPROC_DIR, exist_ok=True)  # the client writes its files there

try:  # the deploying machine runs the tests without the client: /metrics is then absent
    from prometheus_client import (
        CONTENT_TYPE_LATEST,
        CollectorRegistry,
        Counter,
        Histogram,
        generate_latest,
    )
    from prometheus_client.core import GaugeMetricFamily
except ImportError:  # pragma: no cover - depends on the machine
    Counter = None  # type: ignore[assignment,misc]

if Counter is not None:
    REQUESTS = Counter("items_api_http_requests", "HTTP requests answered.", ["route", "status"])
    LATENCY = Histogram("items_api_http_request_duration_seconds", "Time to answer.", ["route"])
    DB_TIME = Histogram("items_api_db_query_duration_seconds", "Time of one database query.")
    CALLS = Counter("items_api_external_requests", "Calls to external APIs.", ["outcome"])
    CALL_TIME = Histogram("items_api_external_request_duration_seconds", "External call time.")

StartResponse = Callable[..., Any]
Response = tuple[str, str, bytes]


_connection: Any = None


def query(sql: str) -> list[tuple[Any, ...]]:
    """Run one read-only query on this worker's connection, reconnecting once if it broke.

    One connection per worker, in autocommit (so it holds no lock between requests and a
    restore can drop tables): a fresh connection per request made PostgreSQL fork a backend
    for every health probe, which starved the workers on a busy host.
    (psycopg2 is imported late: the tests need no driver.)
    """
    global _connection
    import psycopg2

    started = time.perf_counter()
    try:
        for attempt in (1, 2):
            try:
                if _connection is None or _connection.closed:
                    _connection = psycopg2.connect(DSN)
                    _connection.autocommit = True
                with _connection.cursor() as cur:
                    cur.execute(sql)
                    return list(cur.fetchall())
            except (psycopg2.OperationalError, psycopg2.InterfaceError):
                with contextlib.suppress(Exception):
                    _connection.close()
                _connection = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")
    finally:
        if Counter is not None:
            DB_TIME.observe(time.perf_counter() - started)


def database_ok() -> bool:
    """Whether the database answers a trivial query."""
    try:
        return query("select 1") == [(1,)]
    except Exception:
        return False


def external_status() -> dict[str, str]:
    """State of each configured external dependency, as this service sees it."""
    states = {}
    for url in EXTERNAL:
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(url, timeout=2) as reply:
                states[url] = "ok" if reply.status < 400 else "error"
        except Exception:
            states[url] = "down"
        if Counter is not None:
            CALLS.labels(states[url]).inc()
            CALL_TIME.observe(time.perf_counter() - started)
    return states


def as_json(status: str, body: object) -> Response:
    return status, "application/json", json.dumps(body).encode()


def health() -> Response:
    db = database_ok()
    failing = os.path.exists(FAIL_FLAG)
    body = {"status": "ok" if db and not failing else "error", "version": VERSION,
            "database": "ok" if db else "error"}
    return as_json("200 OK" if db and not failing else "503 Service Unavailable", body)


class HealthCollector:
    """`items_api_healthy`: 1 when /health would answer 200, asked at every scrape."""

    def collect(self) -> Iterable[Any]:
        healthy = health()[0].startswith("200")
        yield GaugeMetricFamily("items_api_healthy", "1 when /health answers 200, else 0.",
                                value=1.0 if healthy else 0.0)
        info = GaugeMetricFamily("items_api_build_info", "The release serving.",
                                 labels=["version"])
        info.add_metric([VERSION], 1.0)
        yield info


def metrics() -> Response:
    """The Prometheus exposition of every worker's counters and of the health check."""
    if Counter is None:
        return "404 Not Found", "text/plain; charset=utf-8", b"no prometheus client\n"
    registry = CollectorRegistry()
    if MULTIPROC_DIR:
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        for metric in (REQUESTS, LATENCY, DB_TIME, CALLS, CALL_TIME):
            registry.register(metric)
    registry.register(HealthCollector())
    return "200 OK", CONTENT_TYPE_LATEST, generate_latest(registry)


def items() -> Response:
    try:
        rows = query("select to_jsonb(i) from items i order by i.id")
    except Exception:
        return as_json("500 Internal Server Error", {"error": "database unavailable"})
    return as_json("200 OK", {"items": [row[0] for row in rows]})


def page(title: str, body: str) -> Response:
    text = (f"<!doctype html><html><head><title>{html.escape(title)}</title></head>"
            f"<body><h1>{html.escape(title)}</h1>{body}</body></html>")
    return "200 OK", "text/html; charset=utf-8", text.encode()


ROUTES: dict[str, Callable[[], Response]] = {
    "/health": health,
    "/": lambda: page("items-api", f"<p>Version {html.escape(VERSION)}</p>"),
    "/version": lambda: ("200 OK", "text/plain; charset=utf-8", f"{VERSION}\n".encode()),
    "/api/items": items,
    "/api/status": lambda: as_json("200 OK", {"version": VERSION, "external": external_status()}),
    "/login": lambda: page("Sign in", '<form method="post"><input name="user">'
                           '<button>Sign in</button></form>'),
    "/metrics": metrics,
}


def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    """The WSGI entry point gunicorn serves (`app:application`)."""
    started = time.perf_counter()
    path = environ.get("PATH_INFO") or "/"
    route = ROUTES.get(path)
    if route is None:
        status, kind, body = "404 Not Found", "text/plain; charset=utf-8", b"not found\n"
    else:
        status, kind, body = route()
    if Counter is not None and path != "/metrics":
        name = path if route is not None else "other"
        REQUESTS.labels(name, status.split()[0]).inc()
        LATENCY.labels(name).observe(time.perf_counter() - started)
    start_response(status, [("Content-Type", kind), ("Content-Length", str(len(body)))])
    return [body]
