"""A git repository of the example service, as a release engineer's checkout would be.

History: v1.0.0 (the items table) and v1.0.1 (adds migration 002, the price column) on
`main`, with `develop` at the same commit. Scenarios copy the template and change their copy
(a dirty tree, a release that fails its health check) without affecting each other.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

SERVICE = Path(__file__).resolve().parent.parent / "example" / "service"
LATER_MIGRATION = "migrations/002_add_price.sql"
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Release Engineer",
    "GIT_AUTHOR_EMAIL": "release@example.com",
    "GIT_COMMITTER_NAME": "Release Engineer",
    "GIT_COMMITTER_EMAIL": "release@example.com",
}


class ServiceRepo:
    """A checkout of the example service, driven with plain git commands."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def git(self, *args: str) -> str:
        import os

        done = subprocess.run(
            ["git", *args],
            cwd=self.path,
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, **GIT_ENV},
        )
        return done.stdout.strip()

    @classmethod
    def create(cls, path: Path) -> ServiceRepo:
        """The two tagged releases on main, develop branched at the newest."""
        shutil.copytree(SERVICE, path, ignore=shutil.ignore_patterns("__pycache__"))
        later = (path / LATER_MIGRATION).read_text(encoding="utf-8")
        (path / LATER_MIGRATION).unlink()
        repo = cls(path)
        repo.git("init", "-q", "-b", "main")
        repo.commit_all("items-api 1.0.0: items table")
        repo.git("tag", "v1.0.0")
        (path / LATER_MIGRATION).write_text(later, encoding="utf-8")
        repo.commit_all("items-api 1.0.1: items have a price")
        repo.git("tag", "v1.0.1")
        repo.git("branch", "develop")
        return repo

    def copy(self, path: Path) -> ServiceRepo:
        shutil.copytree(self.path, path, symlinks=True)
        return ServiceRepo(path)

    def commit_all(self, message: str) -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)
        return self.git("rev-parse", "HEAD")

    def checkout(self, branch: str) -> None:
        self.git("checkout", "-q", branch)

    def archive(self, ref: str) -> bytes:
        """The release tarball of ``ref``, made like the runbook's build step makes it."""
        done = subprocess.run(
            ["git", "archive", "--format=tar.gz", ref],
            cwd=self.path,
            capture_output=True,
            check=True,
        )
        return done.stdout
