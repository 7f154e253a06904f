"""A git repository of the team's service, as a release engineer's checkout would be.

Made from the runbook's `target.releases`: the source tree is committed once per release,
oldest first, each commit tagged; `main` and every environment's branch point at the newest
release, and one more branch (`ANOTHER_BRANCH`) stands for "not the branch the runbook asks
for". Scenarios copy the template and change their copy (a dirty tree, an unhealthy release)
without affecting each other.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from runbook.model.target import ReleaseChange, Releases

ANOTHER_BRANCH = "runbook-another-branch"
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Release Engineer",
    "GIT_AUTHOR_EMAIL": "release@example.invalid",
    "GIT_COMMITTER_NAME": "Release Engineer",
    "GIT_COMMITTER_EMAIL": "release@example.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}
SKIP = ("__pycache__", ".pytest_cache", ".git", "build", ".runbook")


class Checkout:
    """A checkout of the service, driven with plain git commands."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def git(self, *args: str) -> str:
        done = subprocess.run(
            ["git", *args],
            cwd=self.path,
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, **GIT_ENV},
        )
        if done.returncode != 0:
            raise AssertionError(f"git {' '.join(args)}: {done.stderr.strip()[-400:]}")
        return done.stdout.strip()

    @classmethod
    def create(cls, path: Path, source: Path, releases: Releases, branches: set[str]) -> Checkout:
        """The tagged releases on `main`, the environments' branches at the newest."""
        path.mkdir(parents=True)
        repo = cls(path)
        repo.git("init", "-q", "-b", "main")
        for release in releases.versions:
            repo._replace_tree(source)
            repo.apply(release)
            repo.commit_all(f"Release {release.tag}")
            repo.git("tag", "-a", release.tag, "-m", f"Release {release.tag}")
        for branch in sorted(branches | {ANOTHER_BRANCH}):
            if branch != "main":
                repo.git("branch", branch)
        return repo

    def _replace_tree(self, source: Path) -> None:
        for old in self.path.iterdir():
            if old.name != ".git":
                shutil.rmtree(old) if old.is_dir() and not old.is_symlink() else old.unlink()
        shutil.copytree(source, self.path, dirs_exist_ok=True, ignore=shutil.ignore_patterns(*SKIP))

    def apply(self, change: ReleaseChange) -> None:
        """Write the change's files and remove the paths it does without."""
        for rel in change.without:
            found = self.path / rel
            if found.is_dir():
                shutil.rmtree(found)
            else:
                found.unlink(missing_ok=True)
        for rel, text in change.files.items():
            (self.path / rel).parent.mkdir(parents=True, exist_ok=True)
            (self.path / rel).write_text(text, encoding="utf-8")

    def copy(self, path: Path) -> Checkout:
        shutil.copytree(self.path, path, symlinks=True)
        return Checkout(path)

    def commit_all(self, message: str) -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD")

    def checkout(self, ref: str) -> None:
        self.git("checkout", "-q", ref)

    def describe(self) -> str:
        """The version a script derives when none is given (`git describe --tags --always`)."""
        return self.git("describe", "--tags", "--always")

    def make_dirty(self) -> None:
        """An uncommitted change to a tracked file."""
        tracked = self.git("ls-files").splitlines()
        victim = self.path / (tracked[0] if tracked else "UNCOMMITTED")
        with victim.open("a", encoding="utf-8") as handle:
            handle.write("\n")
