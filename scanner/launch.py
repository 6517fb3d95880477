"""The `govscan` command: `govscan version` answers without loading the CLI framework, the rest runs the CLI."""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:] == ["version"]:  # scripts call this to pin versions; keep it instant
        from govscan.scanner.version import __version__

        sys.stdout.write(f"govscan {__version__}\n")
        return
    from govscan.scanner.cli import main as cli_main

    cli_main()
