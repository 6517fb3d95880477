"""--format github: workflow commands escaped as the runner parses them, within GitHub's annotation caps."""

from __future__ import annotations

import re
from typing import Any

from govscan.reporters import github
from govscan.scanner.model import Enforcement, ScanReport, Severity

COMMAND = re.compile(r"^::(error|warning|notice)(?: ([^:]*))?::(.*)$")


def unescape_data(text: str) -> str:
    """What the runner does to a command's message (actions/runner ActionCommand.UnescapeData)."""
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def unescape_property(text: str) -> str:
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%3A", ":").replace("%2C", ",").replace("%25", "%")


def parse(line: str) -> tuple[str, dict[str, str], str]:
    """A workflow command as the runner reads it: kind, properties split on `,` then `=`, message."""
    match = COMMAND.match(line)
    assert match, line
    props = {}
    for pair in (match[2] or "").split(","):
        if pair:
            key, value = pair.split("=", 1)
            props[key] = unescape_property(value)
    return match[1], props, unescape_data(match[3])


def commands(text: str) -> list[tuple[str, dict[str, str], str]]:
    return [parse(line) for line in text.splitlines() if line.startswith("::")]


def test_one_annotation_per_open_finding_by_enforcement(report: ScanReport) -> None:
    text = github.render(report)
    found = [(kind, props.get("file"), props.get("line"), props["title"]) for kind, props, _ in commands(text)]
    assert found == [  # most severe first: enforcement, then severity, then place
        ("error", None, None, "govscan ha.replicas"),  # <stdin>: no file to point at
        ("error", "deploy/prod/broken.yaml", "3", "govscan govscan.input-error"),
        ("error", "deploy/prod/web.yaml", "12", "govscan ha.replicas"),
        ("error", "charts/shop/templates/deployment.yaml", "31", "govscan image.latest-tag"),
        ("error", "charts/shop/templates/deployment.yaml", "40", "govscan image.latest-tag"),
        ("warning", "deploy/prod/web.yaml", "20", "govscan image.latest-tag"),
        ("notice", "deploy/prod/rbac.yaml", "27", "govscan backup.velero-retention"),
    ]
    kind, props, message = commands(text)[2]
    assert props == {"file": "deploy/prod/web.yaml", "line": "12", "col": "3", "title": "govscan ha.replicas"}
    assert message == (
        "Deployment web runs 1 replica; production needs at least 2\n"
        "Deployment/web (shop), production tier, block\n"
        "fix: Set spec.replicas to 2 or more."
    )
    # waived findings are not annotated but stay in the log; the verdict closes it
    lines = text.splitlines()
    assert (
        "govscan: waived deploy/prod/rbac.yaml:8:3 rbac.cluster-admin-binding: ClusterRoleBinding ci-admin"
        in "\n".join(lines)
    )
    assert lines[-1] == "govscan: blocked (exit 1): 5 blocking findings"


def test_text_from_the_scanned_files_cannot_break_out_of_a_command(
    report_factory: Any, finding_factory: Any, resources: Any
) -> None:
    hostile = finding_factory(
        "ha.replicas",
        resources["web"],
        message="100% bad\r\n::error file=x.yaml::forged\n::add-mask::secret",
        path="deploy/a:b,c%d.yaml",
        line=4,
        column=2,
    )
    text = github.render(report_factory(findings=(hostile,)))
    lines = text.splitlines()
    assert len(lines) == 2  # the command and the verdict: no line a runner could read as another command
    assert lines[0] == (
        "::error file=deploy/a%3Ab%2Cc%25d.yaml,line=4,col=2,title=govscan ha.replicas::"
        "100%25 bad%0D%0A::error file=x.yaml::forged%0A::add-mask::secret%0ADeployment/web (shop), production tier, "
        "block%0Afix: Fix it."
    )
    kind, props, message = parse(lines[0])
    assert props["file"] == "deploy/a:b,c%d.yaml"
    assert message.startswith("100% bad\r\n::error file=x.yaml::forged\n::add-mask::secret\n")


def test_escaping_follows_the_runner() -> None:
    assert github.escape_data("a%b\rc\nd:e,f") == "a%25b%0Dc%0Ad:e,f"
    assert github.escape_property("a%b\rc\nd:e,f") == "a%25b%0Dc%0Ad%3Ae%2Cf"
    assert github.command("notice", "x") == "::notice::x"


def _many(finding_factory: Any, resources: Any, count: int, enforcement: Enforcement, severity: Severity) -> list[Any]:
    return [
        finding_factory(
            "ha.replicas",
            resources["web"],
            enforcement=enforcement,
            severity=severity,
            message=f"{enforcement.label} {severity.label} {i}",
            line=i + 1,
            fp=f"{enforcement.label}-{severity.label}-{i:03d}",
        )
        for i in range(count)
    ]


def test_caps_keep_the_most_severe_and_count_the_rest(
    report_factory: Any, finding_factory: Any, resources: Any
) -> None:
    findings = (
        _many(finding_factory, resources, 8, Enforcement.BLOCK, Severity.LOW)
        + _many(finding_factory, resources, 7, Enforcement.BLOCK, Severity.CRITICAL)
        + _many(finding_factory, resources, 12, Enforcement.WARN, Severity.MEDIUM)
        + _many(finding_factory, resources, 10, Enforcement.INFO, Severity.LOW)
    )
    text = github.render(report_factory(findings=tuple(findings)))
    parsed = commands(text)
    kinds = [kind for kind, _, _ in parsed]
    assert kinds.count("error") == 10 and kinds.count("warning") == 10 and kinds.count("notice") == 10
    errors = [message.split("\n")[0] for kind, _, message in parsed if kind == "error"]
    # all seven critical ones, then the three low ones from the top of the file
    assert errors == [f"block critical {i}" for i in range(7)] + [f"block low {i}" for i in range(3)]
    notices = [message.split("\n")[0] for kind, _, message in parsed if kind == "notice"]
    assert notices[:9] == [f"info low {i}" for i in range(9)]  # one notice slot kept for the summary
    kind, props, summary = parsed[-1]
    assert (kind, props) == ("notice", {"title": "govscan: more findings"})
    assert summary.startswith("8 more finding(s) not annotated (5 error(s), 2 warning(s), 1 notice(s))")
    log = [line for line in text.splitlines() if line.startswith("govscan: ")]
    assert len(log) == 8 + 1  # each one not annotated, as a plain line, then the verdict
    assert "govscan: error deploy/prod/web.yaml:4:1 ha.replicas: block low 3" in log


def test_a_clean_report_prints_only_the_verdict(report_factory: Any) -> None:
    from govscan.scanner.model import GateDecision

    gate = GateDecision("passed", 0, "no blocking findings", {})
    assert github.render(report_factory(findings=(), gate=gate)) == "govscan: passed (exit 0): no blocking findings\n"
