"""Shared test fixtures: where the repo, its fixtures and the shared corpus are."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("GOVSCAN_SHARED", ROOT.parent / "shared"))


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
