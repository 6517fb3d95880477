"""Cloud IAM, network and data-masking rules through the engine: unknown values stay undecided,
secrets stay out of messages, policy documents are read in every shape IAM accepts."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from cloudplan import change, plan, statuses

from govscan.scanner.config import Config
from govscan.scanner.engine import ScanRequest, scan
from govscan.scanner.model import Enforcement, ScanReport, Status, Tier

ROOT = Path(__file__).resolve().parents[2]
TODAY = dt.date(2026, 11, 23)
RULES = (
    "rbac.iam-wildcard",
    "rbac.iam-passrole",
    "rbac.iam-admin-user",
    "rbac.iam-user-access-key",
    "rbac.eks-cluster-admin",
    "rbac.eks-bootstrap-admin",
    "network.db-public",
    "network.sg-open-db-ports",
    "network.bucket-public-access-block",
    "data-masking.prod-snapshot-restore",
    "data-masking.bucket-replication-to-nonprod",
)
FIXTURE_FOLDERS = [
    ROOT / "fixtures" / rule.split(".", 1)[0] / rule.split(".", 1)[1] for rule in RULES
]  # fixtures/<domain>/<rule>
SECRET = "Odoo-Pr0d-s3cr3t!"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def run(
    tmp_path: Path, document: dict[str, Any], tier: Tier | None = Tier.PRODUCTION, rules: tuple[str, ...] = RULES
) -> ScanReport:
    path = tmp_path / "input.json"
    path.write_text(json.dumps(document, indent=2) + "\n")
    request = ScanRequest(
        targets=(str(path),), config=Config(), tier=tier, rule_patterns=rules, today=TODAY, cwd=tmp_path
    )
    return scan(request)


def pulumi(stack: str, *steps: tuple[str, str, dict[str, Any]]) -> dict[str, Any]:
    return {
        "steps": [
            {
                "op": "create",
                "urn": f"urn:pulumi:{stack}::erp::{kind}::{name}",
                "newState": {
                    "urn": f"urn:pulumi:{stack}::erp::{kind}::{name}",
                    "custom": True,
                    "type": kind,
                    "inputs": inputs,
                },
            }
            for kind, name, inputs in steps
        ]
    }


def messages(report: ScanReport, rule_id: str) -> list[str]:
    return [f.message for f in report.findings if f.rule_id == rule_id]


def doc(statement: Any) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": statement})


# --- unknown values: not evaluated, never a pass ------------------------------------------------------


def test_policy_known_only_after_apply_is_not_evaluated(tmp_path: Path) -> None:
    report = run(
        tmp_path,
        plan(change("aws_iam_policy.erp", {"name": "erp"}, unknown={"policy": True, "arn": True})),
    )
    for rule in ("rbac.iam-wildcard", "rbac.iam-passrole"):
        assert statuses(report, rule) == {"aws_iam_policy.erp": Status.NOT_EVALUATED}


def test_publicly_accessible_known_only_after_apply_is_not_evaluated(tmp_path: Path) -> None:
    db = change(
        "aws_db_instance.erp",
        {"identifier": "erp-prod", "password": SECRET},
        unknown={"publicly_accessible": True},
        sensitive={"password": True},
    )
    report = run(tmp_path, plan(db))
    assert statuses(report, "network.db-public") == {"aws_db_instance.erp": Status.NOT_EVALUATED}


def test_pulumi_unknown_inline_policy_is_not_evaluated(tmp_path: Path) -> None:
    role = ("aws:iam/role:Role", "odoo", {"name": "odoo", "inlinePolicies": [{"name": "x", "policy": UNKNOWN}]})
    report = run(tmp_path, pulumi("prod", role), tier=None)
    assert set(statuses(report, "rbac.iam-wildcard").values()) == {Status.NOT_EVALUATED}


def test_terraform_role_without_inline_policy_is_judged_as_having_none(tmp_path: Path) -> None:
    role = change("aws_iam_role.odoo", {"name": "odoo", "assume_role_policy": doc([])}, unknown={"inline_policy": True})
    report = run(tmp_path, plan(role))
    assert statuses(report, "rbac.iam-wildcard") == {"aws_iam_role.odoo": Status.PASS}


def test_unknown_open_cidr_on_a_rule_is_not_evaluated_but_a_known_one_fails(tmp_path: Path) -> None:
    rule = {"type": "ingress", "from_port": 5432, "to_port": 5432, "protocol": "tcp", "security_group_id": "sg-1"}
    report = run(
        tmp_path,
        plan(
            change("aws_security_group_rule.unknown", rule, unknown={"cidr_blocks": True}),
            change("aws_security_group_rule.open", {**rule, "cidr_blocks": ["0.0.0.0/0"]}),
        ),
    )
    assert statuses(report, "network.sg-open-db-ports") == {
        "aws_security_group_rule.unknown": Status.NOT_EVALUATED,
        "aws_security_group_rule.open": Status.FAIL,
    }


# --- secrets never reach a message --------------------------------------------------------------------


@pytest.mark.parametrize("folder", FIXTURE_FOLDERS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_secret_value_in_any_message(folder: Path) -> None:
    secrets = _sensitive_values(folder)
    report = scan(ScanRequest(targets=(str(folder),), config=Config(), today=TODAY, cwd=ROOT, rule_patterns=RULES))
    assert report.findings, f"{folder.name}: the fixtures produce no findings"
    for finding in report.findings:
        for secret in secrets:
            assert secret not in finding.message, f"{finding.rule_id} leaks a sensitive value"


def test_no_secret_in_a_database_finding(tmp_path: Path) -> None:
    db = change(
        "aws_db_instance.erp",
        {"identifier": "erp-prod", "username": "odoo", "password": SECRET, "publicly_accessible": True},
        sensitive={"password": True},
    )
    report = run(tmp_path, plan(db))
    assert messages(report, "network.db-public") == ["aws_db_instance erp-prod is publicly accessible"]
    assert all(SECRET not in f.message for f in report.findings)


def _sensitive_values(folder: Path) -> set[str]:
    """Every string the fixtures mark sensitive (after_sensitive) or hand over as a literal password."""
    found: set[str] = set()
    for path in folder.glob("*.json"):
        document = json.loads(path.read_text())
        for entry in document.get("resource_changes") or []:
            after = (entry.get("change") or {}).get("after") or {}
            marks = (entry.get("change") or {}).get("after_sensitive") or {}
            for key, mark in marks.items() if isinstance(marks, dict) else ():
                if mark is True and isinstance(after.get(key), str):
                    found.add(after[key])
    return found


# --- IAM policy documents in every shape --------------------------------------------------------------


@pytest.mark.parametrize(
    ("statement", "fails"),
    [
        ({"Effect": "Allow", "Action": "*", "Resource": "*"}, True),  # a single statement object
        ([{"Effect": "Allow", "Action": ["*:*"], "Resource": ["arn:aws:s3:::erp-backups"]}], True),
        ([{"Effect": "Allow", "Action": "IAM:*", "Resource": "*"}], True),  # IAM matches case-insensitively
        ([{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}], True),
        ([{"Effect": "Allow", "Action": "rds:Delete*", "Resource": "*"}], True),
        ([{"Effect": "Allow", "Action": ["s3:Get*", "ec2:Describe*"], "Resource": "*"}], False),
        ([{"Effect": "Allow", "Action": "cloudwatch:PutMetricData", "Resource": "*"}], False),
        ([{"Effect": "Deny", "Action": "*", "Resource": "*"}], False),
        ([{"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::erp-backups/*"}], False),
    ],
)
def test_iam_wildcard_reads_every_policy_shape(tmp_path: Path, statement: Any, fails: bool) -> None:
    report = run(tmp_path, plan(change("aws_iam_policy.p", {"name": "p", "policy": doc(statement)})))
    expected = Status.FAIL if fails else Status.PASS
    assert statuses(report, "rbac.iam-wildcard") == {"aws_iam_policy.p": expected}


def test_unparsable_policy_is_not_evaluated(tmp_path: Path) -> None:
    report = run(tmp_path, plan(change("aws_iam_role_policy.p", {"name": "p", "role": "r", "policy": "{not json"})))
    assert statuses(report, "rbac.iam-wildcard") == {"aws_iam_role_policy.p": Status.NOT_EVALUATED}


@pytest.mark.parametrize(
    ("statement", "fails"),
    [
        ({"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}, True),
        ({"Effect": "Allow", "Action": "iam:*", "Resource": "arn:aws:iam::123456789012:role/*"}, True),
        ({"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"}, True),
        ({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}, False),
        ({"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::123456789012:role/odoo"}, False),
    ],
)
def test_passrole(tmp_path: Path, statement: dict[str, Any], fails: bool) -> None:
    report = run(tmp_path, plan(change("aws_iam_policy.p", {"name": "p", "policy": doc([statement])})))
    assert statuses(report, "rbac.iam-passrole") == {"aws_iam_policy.p": Status.FAIL if fails else Status.PASS}


def test_pulumi_policy_given_as_an_object(tmp_path: Path) -> None:
    statement = {"Effect": "Allow", "Action": "*", "Resource": "*"}
    policy = ("aws:iam/policy:Policy", "admin", {"policy": {"Version": "2012-10-17", "Statement": [statement]}})
    report = run(tmp_path, pulumi("prod", policy), tier=None)
    assert set(statuses(report, "rbac.iam-wildcard").values()) == {Status.FAIL}


# --- tiers -----------------------------------------------------------------------------------------------


def test_access_key_warns_in_staging_and_blocks_in_production(tmp_path: Path) -> None:
    key = change("aws_iam_access_key.ci", {"user": "erp-github-ci", "status": "Active"}, unknown={"secret": True})
    for tier, level in ((Tier.STAGING, Enforcement.WARN), (Tier.PRODUCTION, Enforcement.BLOCK)):
        report = run(tmp_path, plan(key), tier=tier)
        assert [f.enforcement for f in report.findings if f.rule_id == "rbac.iam-user-access-key"] == [level]


def test_snapshot_restore_is_left_alone_in_production(tmp_path: Path) -> None:
    db = change("aws_db_instance.erp", {"identifier": "erp-dr", "snapshot_identifier": "erp-prod-2026-11-01"})
    assert not messages(run(tmp_path, plan(db), tier=Tier.PRODUCTION), "data-masking.prod-snapshot-restore")
    found = messages(run(tmp_path, plan(db), tier=Tier.QA), "data-masking.prod-snapshot-restore")
    assert len(found) == 1 and "erp-prod-2026-11-01" in found[0]


# --- ports ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("from_port", "to_port", "protocol", "fails"),
    [
        (0, 65535, "tcp", True),
        (6000, 7000, "tcp", True),  # covers Redis
        (0, 0, "-1", True),  # all protocols, all ports
        (5432, 5432, "6", True),  # protocol number
        (6379, 6379, "udp", False),
        (443, 443, "tcp", False),
    ],
)
def test_port_ranges(tmp_path: Path, from_port: int, to_port: int, protocol: str, fails: bool) -> None:
    rule = {"from_port": from_port, "to_port": to_port, "protocol": protocol, "cidr_blocks": ["0.0.0.0/0"]}
    report = run(tmp_path, plan(change("aws_security_group.g", {"name": "g", "ingress": [rule]})))
    assert statuses(report, "network.sg-open-db-ports") == {
        "aws_security_group.g": Status.FAIL if fails else Status.PASS
    }


def test_references_hold_within_one_plan(tmp_path: Path) -> None:
    """Two plans reuse the address aws_s3_bucket.data: one plan's public access block covers only its own bucket."""
    flags = dict.fromkeys(
        ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"), True
    )
    block = change("aws_s3_bucket_public_access_block.data", flags, unknown={"bucket": True})
    with_block = plan(change("aws_s3_bucket.data", {"bucket": "erp-data-a"}), block)
    with_block["configuration"] = {
        "root_module": {
            "resources": [
                {
                    "address": "aws_s3_bucket_public_access_block.data",
                    "expressions": {"bucket": {"references": ["aws_s3_bucket.data.id", "aws_s3_bucket.data"]}},
                }
            ]
        }
    }
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "plan.json").write_text(json.dumps(with_block))
    (tmp_path / "b" / "plan.json").write_text(json.dumps(plan(change("aws_s3_bucket.data", {"bucket": "erp-data-b"}))))
    request = ScanRequest(
        targets=(str(tmp_path),), config=Config(), tier=Tier.PRODUCTION, rule_patterns=RULES, today=TODAY, cwd=tmp_path
    )
    report = scan(request)
    failed = [f.location.path for f in report.findings if f.rule_id == "network.bucket-public-access-block"]
    assert failed == ["b/plan.json"]
