"""Baseline for the benchmark: parse every manifest with libyaml and do nothing else.

Walks DIR the way `govscan scan DIR` discovers files (sorted os.walk, no symlinked directories,
the same skipped directories and .yaml/.yml/.json suffixes), reads each file as UTF-8 and runs
PyYAML's CSafeLoader `load_all` over it. Parse errors are counted and ignored. Prints one line of
counts so a run can be checked, and is timed by benchmarks/run.py exactly like govscan
(wall time including interpreter start-up).

Usage: python benchmarks/bare_parse.py DIR [DIR ...]
"""

from __future__ import annotations

import os
import sys

import yaml

SUFFIXES = (".yaml", ".yml", ".json")
SKIPPED_DIRECTORIES = frozenset({".git", ".hg", ".svn", "node_modules", ".terraform", "__pycache__", ".venv"})


def iter_files(root: str):
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = [
            d for d in sorted(dirnames) if d not in SKIPPED_DIRECTORIES and not os.path.islink(os.path.join(dirpath, d))
        ]
        for name in sorted(filenames):
            if name.endswith(SUFFIXES):
                yield os.path.join(dirpath, name)


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if argv else 2
    loader = yaml.CSafeLoader  # no fallback: the baseline is libyaml by definition
    files = documents = errors = 0
    for root in argv:
        paths = [root] if os.path.isfile(root) else iter_files(root)
        for path in paths:
            files += 1
            try:
                with open(path, "rb") as handle:
                    text = handle.read().decode("utf-8")
                for doc in yaml.load_all(text, Loader=loader):
                    if doc is not None:
                        documents += 1
            except (yaml.YAMLError, UnicodeDecodeError, OSError, RecursionError, ValueError):
                errors += 1
    print(f"files={files} documents={documents} errors={errors}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
