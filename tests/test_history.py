"""Deployment history: logs to runs, runs to measures, measures to the site and to `check`.

Logs are written here line by line as the generated scripts write them (one test runs a real
generated script and reads what it wrote), so each measure is checked against figures worked
out by hand.
"""

from __future__ import annotations

import json
import subprocess
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from test_scripts_target import Target, runbook

from runbook.cli import main
from runbook.history.charts import duration_chart
from runbook.history.logs import BadLine, LogLine, read_lines
from runbook.history.measures import (
    counted,
    dora,
    dora_environment,
    incidents,
    procedure_medians,
    success_rate,
    verdicts,
)
from runbook.history.runs import History, read_history, runs_from
from runbook.loader import load
from runbook.model import Measure
from runbook.site.pages import pages, single_file

REPO = Path(__file__).resolve().parent.parent
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


class Log:
    """Writes runs as the scripts log them: a line per step, then the run's closing line."""

    def __init__(self) -> None:
        self.lines: list[dict[str, Any]] = []

    def run(
        self,
        rid: str,
        procedure: str,
        version: str,
        start: datetime,
        outcome: str,
        steps: list[tuple[str, str, float]],
        rollback: tuple[str, ...] = (),
        environment: str = "production",
        committed: datetime | None = None,
        user: str = "alice",
    ) -> None:
        t = start
        ids = {"run": rid, "user": user}
        common = {"procedure": procedure, "environment": environment, "version": version}
        for step, result, seconds in steps:
            t += timedelta(seconds=seconds)
            self.lines.append(
                {
                    "time": iso(t),
                    **common,
                    "step": step,
                    "outcome": result,
                    "exit_code": 0,
                    "duration_s": seconds,
                    "phase": "procedure",
                    **ids,
                }
            )
        for step in rollback:
            t += timedelta(seconds=5)
            self.lines.append(
                {
                    "time": iso(t),
                    **common,
                    "step": step,
                    "outcome": "rolled-back",
                    "exit_code": 0,
                    "duration_s": 5,
                    "phase": "rollback",
                    **ids,
                }
            )
        code = {"success": 0, "failed": 1, "refused": 2, "escalated": 3}[outcome]
        self.lines.append(
            {
                "time": iso(t),
                **common,
                "previous": "v0",
                "outcome": outcome,
                "exit_code": code,
                "duration_s": (t - start).total_seconds(),
                "phase": "run",
                "failed_step": "",
                "committed": iso(committed) if committed else "",
                **ids,
            }
        )

    def text(self) -> str:
        return "".join(json.dumps(line) + "\n" for line in self.lines)


GOOD = [("build", "ok", 60.0), ("switch-release", "ok", 10.0), ("health-check", "ok", 20.0)]
BAD = [("build", "ok", 60.0), ("switch-release", "ok", 10.0), ("health-check", "failed", 30.0)]


def week() -> Log:
    """Four good production deploys a day apart, one rolled back, a refusal, a rollback."""
    log = Log()
    for day in range(4):
        start = T0 + timedelta(days=day)
        log.run(
            f"ok{day}",
            "deploy-production",
            f"v1.{day}",
            start,
            "success",
            GOOD,
            committed=start - timedelta(hours=4),
        )
    log.run(
        "bad",
        "deploy-production",
        "v1.9",
        T0 + timedelta(days=4),
        "failed",
        BAD,
        rollback=("restore-previous-release", "reload-app"),
    )
    log.run("no", "deploy-production", "v1.9", T0 + timedelta(days=4, hours=1), "refused", [])
    log.run(
        "back",
        "rollback-production",
        "v1.2",
        T0 + timedelta(days=4, hours=2),
        "success",
        [("switch-release", "ok", 3.0), ("reload-app", "ok", 4.0)],
    )
    return log


def history_of(log: Log) -> History:
    lines = [x for x in read_lines(log.text(), "log") if isinstance(x, LogLine)]
    return History(runs=runs_from(lines))


@pytest.fixture(scope="module")
def example() -> Any:
    return load(REPO / "runbook.yaml")


# ---------------------------------------------------------------- reading lines


def test_bad_lines_are_reported_with_their_line_and_skipped() -> None:
    good = json.dumps(
        {
            "time": "2026-01-05T09:00:00Z",
            "procedure": "p",
            "environment": "e",
            "outcome": "ok",
            "phase": "procedure",
            "step": "s",
        }
    )
    text = "\n".join(
        [
            good,
            "not json",
            "[1, 2]",
            json.dumps(
                {
                    "time": "yesterday",
                    "procedure": "p",
                    "environment": "e",
                    "outcome": "ok",
                    "phase": "procedure",
                }
            ),
            json.dumps({"procedure": "p", "environment": "e", "outcome": "ok", "phase": "x"}),
            good.replace('"step": "s"', '"duration_s": "slow"'),
            "",
            good,
            '{"time": "2026-01-05T09:',
        ]
    )
    read = list(read_lines(text, "logs/deploy.jsonl"))
    assert [x.line for x in read if isinstance(x, LogLine)] == [1, 8]
    assert [str(x) for x in read if isinstance(x, BadLine)] == [
        "logs/deploy.jsonl:2: not valid JSON; skipped",
        "logs/deploy.jsonl:3: not a JSON object; skipped",
        "logs/deploy.jsonl:4: 'time' is not an ISO 8601 time: 'yesterday'; skipped",
        "logs/deploy.jsonl:5: no 'time'; skipped",
        "logs/deploy.jsonl:6: 'duration_s' has the wrong type; skipped",
        "logs/deploy.jsonl:9: truncated line; skipped",
    ]


# ---------------------------------------------------------------- runs


def test_a_line_read_from_two_places_counts_once() -> None:
    log = week()
    local = [x for x in read_lines(log.text(), "local") if isinstance(x, LogLine)]
    remote = [x for x in read_lines(log.text(), "target") if isinstance(x, LogLine)]
    runs = runs_from(local + remote)
    assert [r.run for r in runs] == ["ok0", "ok1", "ok2", "ok3", "bad", "no", "back"]
    assert [len(r.steps) for r in runs] == [3, 3, 3, 3, 5, 0, 2]


def test_a_run_knows_its_outcome_duration_and_commit() -> None:
    runs = {r.run: r for r in history_of(week()).runs}
    assert runs["ok0"].outcome == "success" and runs["ok0"].duration_s == 90
    assert runs["ok0"].started == T0 and runs["ok0"].committed == T0 - timedelta(hours=4)
    assert runs["bad"].outcome == "rolled-back" and runs["bad"].exit_code == 1
    assert runs["no"].outcome == "refused"
    assert runs["back"].user == "alice" and runs["back"].previous == "v0"


@pytest.mark.parametrize(
    ("rollback", "outcome"), [(("restore", "reload"), "rolled-back"), ((), "escalated")]
)
def test_an_exit_3_after_a_rollback_that_worked_counts_as_rolled_back(
    rollback: tuple[str, ...], outcome: str
) -> None:
    """Exit 3 because migrations stay, though the rollback steps restored the release."""
    log = Log()
    log.run("r", "deploy-production", "v2", T0, "escalated", BAD, rollback=rollback)
    (run,) = history_of(log).runs
    assert run.outcome == outcome and run.exit_code == 3


def test_lines_of_older_scripts_make_unfinished_runs() -> None:
    log = week()
    for line in log.lines:
        line.pop("run")
    log.lines = [x for x in log.lines if x["phase"] != "run"]
    runs = history_of(log).runs
    assert [(r.procedure, r.version, r.outcome) for r in runs][:2] == [
        ("deploy-production", "v1.0", "unfinished"),
        ("deploy-production", "v1.1", "unfinished"),
    ]
    assert ("deploy-production", "v1.9", "rolled-back") in [
        (r.procedure, r.version, r.outcome) for r in runs
    ]


def test_merging_keeps_one_copy_of_each_run() -> None:
    first = history_of(week())
    again, added = first.merged(history_of(week()).runs, ["x"])
    assert added == 0 and len(again.runs) == len(first.runs) == 7


# ---------------------------------------------------------------- measures


def test_dora_measures_worked_out_by_hand(example: Any) -> None:
    rb, history = example.runbook, history_of(week())
    assert dora_environment(rb) == "production"
    measures = dora(rb, history, "production")
    # 4 successes over a span of 4 days 2 hours: about one a day
    span_days = timedelta(days=4, hours=2, seconds=7) / timedelta(days=1)
    assert measures[Measure.deployment_frequency].value == pytest.approx(4 / span_days)
    # committed 4 h before a 90 s deploy
    assert measures[Measure.lead_time].value == 4 * 3600 + 90
    # 5 deployments (4 good, 1 rolled back); the refusal changed nothing
    assert measures[Measure.change_failure_rate].value == pytest.approx(20.0)
    # from the switch (70 s in) to the end of the automatic rollback (100 s + 10 s)
    assert measures[Measure.time_to_restore].value == 40
    assert success_rate(rb, history, "production").value == pytest.approx(80.0)


def test_a_rollback_after_a_good_deploy_makes_it_a_failed_change(example: Any) -> None:
    log = Log()
    log.run("a", "deploy-production", "v2", T0, "success", GOOD)
    log.run(
        "b",
        "rollback-production",
        "v1",
        T0 + timedelta(minutes=30),
        "success",
        [("switch-release", "ok", 5.0)],
    )
    [incident] = incidents(example.runbook, history_of(log), "production")
    assert incident.run.run == "a" and incident.how == "rollback-production to v1"
    assert incident.seconds == 30 * 60 + 5 - 90


def test_targets_are_met_or_missed_in_their_own_units(example: Any) -> None:
    found = {v.target.title: v for v in verdicts(example.runbook, history_of(week()))}
    production = found["Production deployment time"]
    assert production.met is True and production.text == "median 1.5 min over 4 successful runs"
    rate = found["Deployment success rate"]
    assert rate.met is False and rate.text == "80% over 5 attempts"
    assert found["Staging deployment time"].met is None
    assert found["Downtime per deployment"].text == "not measured by the deployment logs"
    assert procedure_medians(example.runbook, history_of(week())) == {
        "deploy-production": "median 1.5 min over 4 successful runs (meets < 10 min)",
        "rollback-production": "median 7 s over 1 successful run (meets < 5 min)",
    }


def test_charts_are_svg_with_every_text_escaped() -> None:
    log = Log()
    log.run("a", "deploy-production", "v2", T0, "success", GOOD, user="<script>x</script>")
    svg = duration_chart("Deploy <b>", history_of(log).runs, 600, "target < 10 min")
    root = ET.fromstring(svg)  # well-formed XML
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert "target &lt; 10 min" in svg


# ---------------------------------------------------------------- the command, check, site


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("runbook.yaml", "mkdocs.yml"):
        (tmp_path / name).write_text((REPO / name).read_text())
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RUNBOOK_LOG_DIR", raising=False)
    return tmp_path


def cli(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


def test_history_collects_merges_and_reports_bad_lines(project: Path) -> None:
    logs = project / ".runbook" / "logs"
    logs.mkdir(parents=True)
    (logs / "deploy-production.jsonl").write_text(week().text() + '{"time": "2026-01')
    (project / "logs").mkdir()
    (project / "logs" / "copy.jsonl").write_text(week().text())
    result = cli("history")
    assert result.exit_code == 0, result.output
    assert (
        "warning: .runbook/logs/deploy-production.jsonl:27: truncated line; skipped"
        in result.stderr
    )
    assert "wrote history.json: 7 runs (7 new)" in result.stdout
    again = cli("history", "--from", "logs")
    assert "7 runs (0 new)" in again.stdout
    saved = read_history(project / "history.json")
    assert saved is not None and saved.sources == [".runbook/logs", "logs"]


def test_history_refuses_a_missing_log_path_in_one_line(project: Path) -> None:
    result = cli("history", "--from", "nowhere.jsonl")
    assert result.exit_code == 2
    assert result.stderr == "nowhere.jsonl: no such file or directory (--from)\n"


def test_check_history_reports_a_missed_target_at_its_line(project: Path) -> None:
    assert cli("build", "--no-site").exit_code == 0
    (project / "logs").mkdir()
    (project / "logs" / "d.jsonl").write_text(week().text())
    assert cli("history", "--from", "logs").exit_code == 0
    result = cli("check", "--history")
    assert result.exit_code == 1
    line = next(
        i + 1
        for i, x in enumerate((project / "runbook.yaml").read_text().splitlines())
        if "Deployment success rate" in x
    )
    assert (
        f"runbook.yaml:{line}:5: missed-target performance[3]: Deployment success rate: "
        "80% over 5 attempts misses > 95%"
    ) in result.stdout
    assert cli("check").exit_code == 0  # without --history the history is not held to targets


def test_check_history_without_a_history_is_unusable_input(project: Path) -> None:
    result = cli("check", "--history")
    assert result.exit_code == 2
    assert "no deployment history (history.json) (run `runbook history` first)" in result.stderr


def test_the_site_shows_the_history_and_the_single_file_does_not(project: Path) -> None:
    loaded = load(project / "runbook.yaml")
    empty = pages(loaded)["operations/history.md"]
    assert "No deployment is recorded yet" in empty
    (project / "history.json").write_text(history_of(week()).model_dump_json())
    site = pages(loaded)
    page = site["operations/history.md"]
    assert "| Change failure rate | 20% over 5 deployments | none set |" in page
    assert "| Deployment success rate | > 95% | 80% over 5 attempts | **missed** |" in page
    assert page.count("<svg ") == 4  # production and rollback durations, outcomes, restores
    assert (
        "| Measured duration | [median 1.5 min over 4 successful runs (meets < 10 min)]"
        in (site["procedures/deploy-production.md"])
    )
    assert "Measured duration" not in site["procedures/deploy-staging.md"]
    whole = single_file(loaded, "# x\n")
    assert "Deployment history" not in whole and "Measured duration" not in whole


def test_a_damaged_history_does_not_stop_the_site(project: Path) -> None:
    (project / "history.json").write_text("{not json")
    page = pages(load(project / "runbook.yaml"))["operations/history.md"]
    assert "could not be read" in page and "history.json" in page


def test_what_a_generated_script_logs_becomes_a_run(tmp_path: Path) -> None:
    """A real run of a generated script (fake ssh, local deploy path), collected from the
    deploying machine's log and, over that ssh, from the target's, counted once."""
    data = runbook(tmp_path)
    target = Target(tmp_path, data)
    target.serve("v1")
    assert target.run("deploy.sh", "v2").returncode == 0
    (tmp_path / "runbook.yaml").write_text(yaml.safe_dump(data))
    result = subprocess.run(
        [
            str(REPO / ".venv" / "bin" / "runbook"),
            "history",
            "--remote",
            "--from",
            str(tmp_path / "logs"),
            "runbook.yaml",
        ],
        cwd=tmp_path,
        env=target.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    saved = read_history(tmp_path / "history.json")
    assert saved is not None
    [run] = saved.runs
    assert (run.procedure, run.version, run.previous, run.outcome) == (
        "deploy",
        "v2",
        "v1",
        "success",
    )
    assert [s.step for s in run.steps] == ["hello", "there", "switch", "check"]
    assert any(s.endswith("/srv/deploy.log.jsonl") for s in saved.sources)


def test_a_target_that_cannot_be_reached_is_reported_and_the_rest_kept(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing listens on port 9 of 127.0.0.1: ssh is refused at once, and says so."""
    config = project / "ssh_config"
    config.write_text(
        "Host *\n  HostName 127.0.0.1\n  Port 9\n  StrictHostKeyChecking no\n"
        "  UserKnownHostsFile /dev/null\n  ConnectTimeout 5\n"
    )
    monkeypatch.setenv("RUNBOOK_SSH_CONFIG", str(config))
    (project / "logs").mkdir()
    (project / "logs" / "d.jsonl").write_text(week().text())
    result = cli("history", "--remote", "--from", "logs")
    assert result.exit_code == 1
    assert "warning: not read: deploy@staging.example.internal:/srv/app/deploy.log.jsonl: " in (
        result.stderr
    )
    assert "refused" in result.stderr
    assert "wrote history.json: 7 runs (7 new)" in result.stdout


def test_a_damaged_history_file_is_one_line_and_exit_2(project: Path) -> None:
    (project / "history.json").write_text('{"runs": [{"run": 1}]}')
    result = cli("history")
    assert result.exit_code == 2
    assert result.stderr.endswith(
        "history.json: not a deployment history (runs.0.run: Input should be a valid string) "
        "(run `runbook history`)\n"
    )
    assert len(result.stderr.splitlines()) == 1


@pytest.mark.parametrize(
    ("count", "what", "text"),
    [
        (1, "successful runs", "successful run"),
        (2, "successful runs", "successful runs"),
        (1, "deployments with a commit time", "deployment with a commit time"),
        (1, "restored failures", "restored failure"),
        (0, "attempts", "attempts"),
    ],
)
def test_a_count_of_one_names_one(count: int, what: str, text: str) -> None:
    assert counted(count, what) == text
