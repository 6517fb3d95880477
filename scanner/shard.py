"""CI matrix sharding: which files a shard judges (`--shard i/n`).

A file belongs to shard `1 + hash(path) mod n`, the path being the one reports show (relative to the
working directory). The hash of the path, not its rank in the sorted file list, decides: adding or
removing a file never moves any other file to another shard, so a shard's results stay comparable
from one commit to the next. Every shard still reads the other shards' files for cross-resource
context (a PodDisruptionBudget in one file covers a Deployment in another; a Namespace label sets
the tier of resources elsewhere), so the shards' reports merged equal one unsharded scan.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from govscan.scanner.errors import UsageError

_SPEC = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


@dataclass(frozen=True, slots=True)
class Shard:
    index: int
    """1-based, as CI matrices count (`--shard 1/4` ... `--shard 4/4`)."""
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        match = _SPEC.match(text)
        if not match:
            raise UsageError(f"--shard: {text!r} is not INDEX/COUNT, e.g. --shard 2/4")
        index, count = int(match[1]), int(match[2])
        if count < 1 or not 1 <= index <= count:
            raise UsageError(f"--shard: {text!r}: INDEX must be between 1 and COUNT (e.g. 1/4 ... 4/4)")
        return cls(index, count)

    def owns(self, path: str) -> bool:
        return shard_of(path, self.count) == self.index

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def shard_of(path: str, count: int) -> int:
    """The 1-based shard of a report path: stable across machines, runs and added files."""
    digest = hashlib.sha256(path.replace("\\", "/").encode()).digest()
    return 1 + int.from_bytes(digest[:8], "big") % count
