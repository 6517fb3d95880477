"""Shared test fixtures: where the repo, its fixtures and the shared corpus are; the suite runs
offline (outbound sockets refused, loopback allowed) and hypothesis runs deterministically."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("GOVSCAN_SHARED", ROOT.parent / "shared"))
OFFLINE = Path(__file__).resolve().parent / "offline"

# Offline by default, in this process and (through offline/sitecustomize.py) in every Python
# subprocess a test starts. Loopback servers started by tests keep working.
sys.path.insert(0, str(OFFLINE))
import govscan_offline  # noqa: E402

govscan_offline.install()
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(OFFLINE), os.environ.get("PYTHONPATH")) if p)

# Property tests: quick and the same on every run (derandomize: examples come from the test's name).
settings.register_profile(
    "govscan",
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("thorough", parent=settings.get_profile("govscan"), max_examples=2000, derandomize=False)
settings.load_profile(os.environ.get("GOVSCAN_HYPOTHESIS_PROFILE", "govscan"))  # "thorough" to hunt for more


@pytest.fixture(autouse=True)
def _offline() -> Iterator[None]:
    """Every test starts and ends offline (a test that unpatches the socket module fails here)."""
    assert govscan_offline.installed(), "the offline socket guard was removed"
    yield
    assert govscan_offline.installed(), "a test removed the offline socket guard"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def corpus() -> Path:
    """../shared/corpus beside the repo (or $GOVSCAN_SHARED/corpus); tests using it skip without it."""
    path = SHARED / "corpus"
    if not path.is_dir():
        pytest.skip(f"shared corpus not found at {path} (set GOVSCAN_SHARED)")
    return path


@pytest.fixture(scope="session")
def sarif_schema_path() -> Path:
    path = SHARED / "schemas" / "sarif-schema-2.1.0.json"
    if not path.is_file():
        pytest.skip(f"SARIF schema not found at {path} (set GOVSCAN_SHARED)")
    return path
