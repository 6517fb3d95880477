"""Finding and reading the files to scan: directories, files and stdin, safely.

Reading is where hostile input starts: size caps, binary and non-UTF-8 files, special files and
symlinks that leave the scanned tree are all turned into InputErrors naming the file.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from govscan.scanner.errors import InputError, UsageError

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
SKIPPED_DIRECTORIES = frozenset({".git", ".hg", ".svn", "node_modules", ".terraform", "__pycache__", ".venv"})
DEFAULT_MAX_FILE_BYTES = 128 * 1024 * 1024
"""Large enough for a 15,000-resource Terraform plan (about 60 MB); a manifest that big is a mistake."""
STDIN = "-"
STDIN_NAME = "<stdin>"


@dataclass(frozen=True, slots=True)
class InputFile:
    """A file to scan: `display` is what reports show (relative to the working directory)."""

    display: str
    path: Path | None  # None for stdin
    named: bool = False
    """Named on the command line (not found in a directory): content govscan cannot judge is an error."""
    target: str = ""
    """The command-line path this file was found under (`-` for stdin)."""
    judged: bool = True
    """False for files read only for cross-resource context (another shard's, or --context): never judged."""


def display_path(path: Path, cwd: Path) -> str:
    try:
        return path.resolve().relative_to(cwd).as_posix()
    except ValueError:
        return path.as_posix()
    except (OSError, RuntimeError):  # a symlink loop: where the link itself is
        try:
            return path.absolute().relative_to(cwd).as_posix()
        except ValueError:
            return path.as_posix()


def link_display_path(path: Path, cwd: Path) -> str:
    """Where a symlink itself is (display_path would follow it)."""
    try:
        return Path(os.path.normpath(path.absolute())).relative_to(cwd).as_posix()
    except ValueError:
        return display_path(path, cwd)


def discover(targets: list[str], cwd: Path | None = None) -> tuple[list[InputFile], list[InputError]]:
    """Expand targets into a stable, de-duplicated list of files, plus errors for unusable paths.

    Raises UsageError when a target does not exist or nothing at all was found.
    """
    cwd = (cwd or Path.cwd()).resolve()
    files: list[InputFile] = []
    errors: list[InputError] = []
    seen: set[str] = set()
    for target in targets:
        if target == STDIN:
            if STDIN not in seen:
                seen.add(STDIN)
                files.append(InputFile(STDIN_NAME, None, target=STDIN))
            continue
        path = Path(target)
        if not path.exists() and not path.is_symlink():
            raise UsageError(f"{target}: no such file or directory")
        if path.is_dir():
            found, problems = _walk(path, cwd)
            for problem in problems:
                problem.target = target
            errors.extend(problems)
            if not found and not problems:
                raise UsageError(
                    f"{target}: no manifests found (looked for {', '.join(MANIFEST_SUFFIXES)} files); "
                    "pass a file, a directory of manifests, or - for stdin"
                )
        else:
            found = [(path, _real(path))]
        for file, real in found:
            key = str(real)
            if key not in seen:
                seen.add(key)
                files.append(
                    InputFile(
                        _shown(real, path if file is path else file, cwd), file, named=file is path, target=target
                    )
                )
    return files, errors


def _shown(real: Path, path: Path, cwd: Path) -> str:
    """display_path() for a path whose resolved form is already known."""
    try:
        return real.relative_to(cwd).as_posix()
    except ValueError:
        return path.as_posix()


def _walk(root: Path, cwd: Path) -> tuple[list[tuple[Path, Path]], list[InputError]]:
    """Manifest files under root as (path, resolved path), in a stable pre-order: each directory's files
    by name, then its subdirectories by name. Symlinked directories are not entered; a symlinked file
    must resolve inside the tree. Paths under a resolved directory reached without symlinks are
    resolved already, so only symlinks cost a resolve()."""
    real_root = root.resolve()
    found: list[tuple[Path, Path]] = []
    errors: list[InputError] = []
    pending = [(root, real_root)]
    while pending:
        here, real_here = pending.pop()
        try:
            with os.scandir(here) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as exc:
            errors.append(InputError(display_path(here, cwd), f"cannot list directory: {exc.strerror or exc}"))
            continue
        subdirectories = []
        for entry in entries:
            name = entry.name
            path = here / name
            if entry.is_symlink():
                if _is_dir(path):
                    if name not in SKIPPED_DIRECTORIES:
                        errors.append(InputError(link_display_path(path, cwd), "symlinked directory not followed"))
                    continue
                if not name.endswith(MANIFEST_SUFFIXES):
                    continue
                try:
                    resolved = path.resolve(strict=True)
                except (OSError, RuntimeError):
                    errors.append(InputError(link_display_path(path, cwd), "broken or looping symlink"))
                    continue
                if not resolved.is_relative_to(real_root):
                    errors.append(InputError(link_display_path(path, cwd), "symlink points outside the scanned tree"))
                    continue
                found.append((path, resolved))
            elif entry.is_dir(follow_symlinks=False):
                if name not in SKIPPED_DIRECTORIES:
                    subdirectories.append((path, real_here / name))
            elif name.endswith(MANIFEST_SUFFIXES):
                found.append((path, real_here / name))
        pending.extend(reversed(subdirectories))
    return found, errors


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:  # a symlink loop
        return False


def _real(path: Path) -> Path:
    """The resolved path; a symlink loop has none, so its own (absolute) path stands for it."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path.absolute()


def read_text(file: InputFile, max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> str:
    """The file's text, or an InputError saying exactly why it cannot be scanned."""
    data = sys.stdin.buffer.read(max_bytes + 1) if file.path is None else _read_regular_file(file, max_bytes)
    if len(data) > max_bytes:
        raise InputError(file.display, f"input is over the {_size(max_bytes)} limit (raise it with --max-file-size)")
    return decode(data, file.display)


def _read_regular_file(file: InputFile, max_bytes: int) -> bytes:
    """Up to max_bytes + 1 bytes of a regular file. Opened without blocking and checked on the open
    descriptor, so a FIFO or device swapped in after discovery cannot hang the scan."""
    assert file.path is not None
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
    try:
        descriptor = os.open(file.path, flags)
    except (OSError, ValueError) as exc:
        raise InputError(file.display, f"cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    with os.fdopen(descriptor, "rb", closefd=True) as handle:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise InputError(file.display, "not a regular file (a FIFO, device or socket is never read)")
        if info.st_size > max_bytes:
            raise InputError(
                file.display,
                f"file is {_size(info.st_size)}, over the {_size(max_bytes)} limit (raise it with --max-file-size)",
            )
        try:
            return handle.read(max_bytes + 1)
        except OSError as exc:
            raise InputError(file.display, f"cannot read: {exc.strerror or exc}") from None


def _size(n: int) -> str:
    return f"{n / 1048576:.1f} MiB" if n >= 1048576 else f"{n:,} bytes"


def decode(data: bytes, display: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with a BOM (PowerShell's `>` writes it)
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise InputError(display, "UTF-16 byte order mark, but the text is not valid UTF-16", 1) from None
    if data.startswith(b"PK\x03\x04"):
        raise InputError(
            display, "a binary Terraform plan: scan `terraform show -json plan.out > plan.json` instead", 1
        )
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise InputError(display, "binary file (NUL byte), not a manifest", line)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(display, f"not UTF-8 text (invalid byte at offset {exc.start})", line) from None
    return text[1:] if text.startswith("\ufeff") else text


def iter_texts(files: list[InputFile], max_bytes: int) -> Iterator[tuple[InputFile, str | InputError]]:
    for file in files:
        try:
            yield file, read_text(file, max_bytes)
        except InputError as exc:
            yield file, exc
