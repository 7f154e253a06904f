"""Unit tests of items-api: routes and health, with the database replaced (no server needed)."""

import json
import os
import sys
import tempfile
import unittest
from unittest import mock

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import app  # noqa: E402


def call(path):
    seen = {}

    def start_response(status, headers):
        seen["status"], seen["headers"] = status, dict(headers)

    body = b"".join(app.application({"PATH_INFO": path, "REQUEST_METHOD": "GET"}, start_response))
    return int(seen["status"].split()[0]), body.decode()


class HealthTest(unittest.TestCase):
    def test_healthy_reports_version_and_database(self):
        with mock.patch.object(app, "database_ok", return_value=True), \
                mock.patch.object(app, "FAIL_FLAG", "/nonexistent/FAIL_HEALTHCHECK"):
            status, body = call("/health")
        self.assertEqual(status, 200)
        self.assertEqual(body, json.dumps({"status": "ok", "version": app.VERSION, "database": "ok"}))

    def test_database_down_is_503(self):
        with mock.patch.object(app, "database_ok", return_value=False):
            status, body = call("/health")
        self.assertEqual(status, 503)
        self.assertEqual(json.loads(body)["database"], "error")

    def test_fail_flag_makes_health_fail(self):
        with tempfile.TemporaryDirectory() as tmp:
            flag = os.path.join(tmp, "FAIL_HEALTHCHECK")
            open(flag, "w").close()
            with mock.patch.object(app, "FAIL_FLAG", flag), \
                    mock.patch.object(app, "database_ok", return_value=True):
                status, _ = call("/health")
        self.assertEqual(status, 503)


class RoutesTest(unittest.TestCase):
    def test_pages(self):
        cases = {"/": "items-api", "/login": "Sign in", "/version": app.VERSION}
        for path, text in cases.items():
            with self.subTest(path=path):
                status, body = call(path)
                self.assertEqual(status, 200)
                self.assertIn(text, body)

    def test_items_from_database(self):
        with mock.patch.object(app, "query", return_value=[({"id": 1, "name": "a"},)]):
            status, body = call("/api/items")
        self.assertEqual((status, json.loads(body)), (200, {"items": [{"id": 1, "name": "a"}]}))

    def test_status_lists_external(self):
        status, body = call("/api/status")
        self.assertEqual(status, 200)
        self.assertIn("external", json.loads(body))

    def test_unknown_path_is_404(self):
        self.assertEqual(call("/missing-page")[0], 404)


@unittest.skipIf(app.Counter is None, "python3-prometheus-client is not installed")
class MetricsTest(unittest.TestCase):
    def test_health_and_requests_are_exported(self):
        with mock.patch.object(app, "database_ok", return_value=True), \
                mock.patch.object(app, "FAIL_FLAG", "/nonexistent/FAIL_HEALTHCHECK"):
            call("/health")
            status, body = call("/metrics")
        self.assertEqual(status, 200)
        self.assertIn("items_api_healthy 1.0", body)
        self.assertIn('items_api_http_requests_total{route="/health",status="200"}', body)
        self.assertIn('items_api_build_info{version="%s"} 1.0' % app.VERSION, body)

    def test_an_unhealthy_release_exports_zero(self):
        with mock.patch.object(app, "database_ok", return_value=False):
            _, body = call("/metrics")
        self.assertIn("items_api_healthy 0.0", body)


if __name__ == "__main__":
    unittest.main()
