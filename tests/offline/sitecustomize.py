"""Python subprocesses started by the tests run offline too (see govscan_offline.py).

This directory is put first on PYTHONPATH by tests/conftest.py; any other sitecustomize on the
path is still run afterwards, so the environment behaves as it would without the tests.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys

import govscan_offline

govscan_offline.install()

_here = os.path.dirname(os.path.abspath(__file__))
_others = [p for p in sys.path if os.path.abspath(p or ".") != _here]
_spec = importlib.machinery.PathFinder.find_spec("sitecustomize", _others)
if _spec is not None and _spec.loader is not None and _spec.origin != os.path.abspath(__file__):
    _module = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(_module)
