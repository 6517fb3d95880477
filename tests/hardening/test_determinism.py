"""Deterministic: the same input gives byte-identical reports in every format, whatever the checkout
directory, PYTHONHASHSEED or --jobs; no format carries a timestamp (two runs seconds apart would
differ) or an absolute path, so fingerprints are the same on every machine."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from hardening import FORMATS, HOSTILE, govscan, report_args

from govscan.scanner.engine import PARALLEL_MIN_FILES

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-{i}
  namespace: {namespace}
  annotations:
    govscan.io/waive.ha.replicas: "migrating; expires=2026-12-31"
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{app: app-{i}}}
  template:
    metadata:
      labels: {{app: app-{i}}}
    spec:
      containers:
        - name: app
          image: registry.example.com/app:{i}
          env:
            - name: DB_PASSWORD
              value: hunter{i}
"""


def make_tree(root: Path) -> None:
    """40 files (enough for worker processes), a plan, a duplicate key, an input error, waivers."""
    for i in range(40):
        namespace = ("erp-prod", "erp-staging", "shop-dev")[i % 3]
        (root / "k8s" / namespace).mkdir(parents=True, exist_ok=True)
        (root / "k8s" / namespace / f"app-{i:02d}.yaml").write_text(
            DEPLOYMENT.format(i=i, namespace=namespace, replicas=1 + i % 3)
        )
    for name in ("duplicate-security-context.yaml", "plan-tier-typo.json", "alias-bomb.yaml", "deep-plan.json"):
        shutil.copy(HOSTILE / name, root / name)
    (root / ".govscan.yaml").write_text(
        "tiers:\n  namespaces: {'*-prod': production, '*-staging': staging, '*-dev': development}\n"
        "waivers:\n  - {rule: image-provenance.*, resource: '*', owner: platform, reason: internal registry, "
        "expires: 2026-12-31}\n"
    )


def run(tree: Path, out: Path, seed: str, jobs: str) -> dict[str, bytes]:
    out.mkdir()
    result = govscan("scan", ".", "-q", "--jobs", jobs, *report_args(out), cwd=tree, env={"PYTHONHASHSEED": seed})
    assert result.returncode == 2, result.stderr  # the alias bomb and the deep plan are input errors
    return {fmt: (out / f"report.{fmt}").read_bytes() for fmt in FORMATS}


def test_reports_are_byte_identical_across_checkouts_hash_seeds_and_jobs(tmp_path: Path) -> None:
    first, second = tmp_path / "checkout-a" / "repo", tmp_path / "elsewhere" / "b" / "repo"
    make_tree(first)
    shutil.copytree(first, second)
    assert len(list(first.rglob("*.yaml"))) >= PARALLEL_MIN_FILES  # --jobs 2 really starts workers
    one = run(first, tmp_path / "out-1", seed="1", jobs="1")
    two = run(second, tmp_path / "out-2", seed="4242", jobs="2")
    for fmt in FORMATS:
        assert one[fmt] == two[fmt], fmt
        text = one[fmt].decode()
        assert str(tmp_path) not in text and "/tmp/" not in text, fmt  # no absolute paths
    document = json.loads(one["json"])
    assert len(document["findings"]) > 200
    assert {"govscan.input-error", "govscan.duplicate-key"} <= {f["rule_id"] for f in document["findings"]}
    assert any(f["waived"] for f in document["findings"])
