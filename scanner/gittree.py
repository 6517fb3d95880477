"""Read a commit's files with git plumbing (`ls-tree`, `cat-file`) into a directory: no checkout,
no hooks, no filters, nothing from the tree is ever run.

Only what govscan reads is written: `.yaml`, `.yml` and `.json` blobs outside the directories a scan
never enters. Symlinks and submodules are not followed; they are listed as skipped.
"""

from __future__ import annotations

import os
import posixpath
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from govscan.scanner.config import CONFIG_NAMES
from govscan.scanner.errors import ConfigError, UsageError
from govscan.scanner.inputs import MANIFEST_SUFFIXES, SKIPPED_DIRECTORIES
from govscan.scanner.model import Skipped

GIT = ("git", "-c", "core.fsmonitor=false", "-c", "core.quotepath=false")
SYMLINK_MODE = "120000"
SUBMODULE_MODE = "160000"


@dataclass(frozen=True)
class Repository:
    root: Path

    def run(self, *args: str, stdin: bytes | None = None) -> bytes:
        try:
            done = subprocess.run(
                [*GIT, *args], cwd=self.root, input=stdin, capture_output=True, check=False, env=_git_env()
            )
        except FileNotFoundError:
            raise UsageError(
                "git is not installed: install it, or compare two directories with --base DIR --head DIR"
            ) from None
        if done.returncode != 0:
            first = (done.stderr.decode("utf-8", "replace").strip().splitlines() or ["failed"])[0]
            raise UsageError(f"git {args[0]}: {first}")
        return done.stdout


def _git_env() -> dict[str, str]:
    env = dict(os.environ)
    env["GIT_TERMINAL_PROMPT"] = "0"  # never wait for credentials in CI
    env.pop("GIT_DIR", None)
    env.pop("GIT_WORK_TREE", None)
    return env


def open_repository(start: Path) -> Repository:
    """The git repository holding `start` (a one-line error when there is none)."""
    if shutil.which("git") is None:
        raise UsageError("git is not installed: install it, or compare two directories with --base DIR --head DIR")
    done = subprocess.run(
        [*GIT, "rev-parse", "--show-toplevel"], cwd=start, capture_output=True, text=True, check=False, env=_git_env()
    )
    if done.returncode != 0:
        first = (done.stderr.strip().splitlines() or ["not a git repository"])[0]
        raise UsageError(
            f"{start}: not in a git repository ({first}); run inside a clone, or give --base and --head as directories"
        )
    return Repository(Path(done.stdout.strip()))


def resolve(repo: Repository, ref: str, flag: str) -> str:
    """The commit `ref` names, or a one-line error saying how to get it."""
    if not ref or ref.startswith("-"):
        raise UsageError(f"{flag}: {ref!r} is not a git ref")
    try:
        out = repo.run("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    except UsageError:
        out = b""
    commit = out.decode().strip()
    if not commit:
        raise UsageError(
            f"{flag}: {ref!r} is not a directory, a file or a commit in {repo.root} "
            f"(in a shallow CI clone, fetch it first: git fetch --depth=1 origin {ref.removeprefix('origin/')})"
        )
    return commit


@dataclass
class Materialized:
    root: Path
    files: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    blobs: dict[str, str] = field(default_factory=dict)
    """Repository path -> blob id: files with the same id on both sides did not change."""


def _wanted(path: str) -> bool:
    parts = path.split("/")
    if any(p in SKIPPED_DIRECTORIES for p in parts[:-1]) or parts[-1] in CONFIG_NAMES:
        return False
    return path.endswith(MANIFEST_SUFFIXES)


def _safe(path: str) -> bool:
    normal = posixpath.normpath(path)
    return not (normal.startswith(("/", "../")) or normal == ".." or "\x00" in path)


def materialize(
    repo: Repository, commit: str, pathspecs: list[str], dest: Path, reuse: Materialized | None = None
) -> Materialized:
    """Write the commit's manifest files under `dest` (repo-relative paths kept); blobs already
    written for `reuse` (the other side) are linked, not read again."""
    listing = repo.run("ls-tree", "-r", "-z", "--full-tree", commit, "--", *pathspecs)
    result = Materialized(dest)
    blobs: list[tuple[str, str]] = []
    for entry in listing.decode("utf-8", "surrogateescape").split("\0"):
        if not entry:
            continue
        meta, path = entry.split("\t", 1)
        mode, kind, sha = meta.split()
        if not _wanted(path):
            continue
        if mode == SYMLINK_MODE or kind != "blob":
            what = "a symlink" if mode == SYMLINK_MODE else "a submodule" if mode == SUBMODULE_MODE else kind
            result.skipped.append(Skipped(path, 1, f"{what} in the git tree: not followed"))
            continue
        if not _safe(path):
            result.skipped.append(Skipped(path, 1, "path leaves the repository: not read"))
            continue
        blobs.append((sha, path))
        result.blobs[path] = sha
    dest.mkdir(parents=True, exist_ok=True)
    known = {sha: reuse.root / path for path, sha in reuse.blobs.items()} if reuse is not None else {}
    missing = []
    for sha, path in blobs:
        if sha in known and _link(known[sha], dest / path):
            result.files.append(path)
        else:
            missing.append((sha, path))
    if not missing:
        return result
    batch = repo.run("cat-file", "--batch", stdin="".join(f"{sha}\n" for sha, _ in missing).encode())
    at = 0
    for _, path in missing:
        header_end = batch.index(b"\n", at)
        header = batch[at:header_end].split()
        size = int(header[2])
        data = batch[header_end + 1 : header_end + 1 + size]
        at = header_end + 1 + size + 1
        target = dest / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        result.files.append(path)
    return result


def _link(source: Path, target: Path) -> bool:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        try:
            shutil.copyfile(source, target)
        except OSError:
            return False
    return True


def fetch_config(repo: Repository, commit: str, label: str, dest: Path) -> Path | None:
    """The commit's root `.govscan.yaml` (and the files its `extends` names) under `dest`, or None."""
    for name in CONFIG_NAMES:
        if _fetch(repo, commit, name, dest):
            _fetch_parents(repo, commit, label, name, dest, {name})
            return dest / name
    return None


def _fetch(repo: Repository, commit: str, path: str, dest: Path) -> bool:
    try:
        kind = repo.run("cat-file", "-t", f"{commit}:{path}").decode().strip()
    except UsageError:
        return False
    if kind != "blob":
        return False
    data = repo.run("cat-file", "blob", f"{commit}:{path}")
    target = dest / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return True


def _fetch_parents(repo: Repository, commit: str, label: str, path: str, dest: Path, seen: set[str]) -> None:
    import yaml

    try:
        data = yaml.safe_load((dest / path).read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError):
        return  # load_config reports it with the line
    parents = data.get("extends") if isinstance(data, dict) else None
    for parent in parents if isinstance(parents, list) else []:
        if not isinstance(parent, str):
            continue
        joined = posixpath.normpath(posixpath.join(posixpath.dirname(path), parent))
        if not _safe(joined):
            raise ConfigError(f"{label}:{path}", f"extends: {parent} is outside the repository; pass --config")
        if joined in seen:
            continue
        seen.add(joined)
        if not _fetch(repo, commit, joined, dest):
            raise ConfigError(f"{label}:{path}", f"extends: {parent} not found in {label}")
        _fetch_parents(repo, commit, label, joined, dest, seen)
