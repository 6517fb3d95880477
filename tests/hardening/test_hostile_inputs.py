"""Hostile YAML and JSON: each case has a fixture in tests/hardening/hostile/ (or is generated here when it
is huge or cannot live in git: symlinks, FIFOs, sparse files) and an exact expected outcome."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hardening import HOSTILE, govscan, one_line_error, report_args, scan_here, tool_findings

NESTING = "nesting deeper than 128 levels"
BINARY = "binary file (NUL byte), not a manifest"
NOT_READABLE = "value cannot be read as !!int (malformed, over-long or an unsupported tag)"
NOT_A_TIER = (
    "is not a tier: use production, staging, qa, development, sandbox or an alias (prod, stg, dev...), "
    "or map your own names under tiers.aliases in .govscan.yaml"
)
ERROR = "govscan.input-error"
DUPLICATE = "govscan.duplicate-key"

# fixture, exit code, govscan.* findings as (rule, line, column, message)
CASES = [
    ("alias-bomb.yaml", 2, [(ERROR, 11, 7, "aliases expand past 1,000,000 nodes (YAML alias bomb?)")]),
    ("deep-flow.yaml", 2, [(ERROR, 6, 134, NESTING)]),
    ("deep-block.yaml", 2, [(ERROR, 134, 130, NESTING)]),
    ("deep-manifest.json", 2, [(ERROR, 1, 843, NESTING)]),
    ("deep-plan.json", 2, [(ERROR, 10, 794, NESTING)]),
    (
        "plan-format-9.json",
        2,
        [(ERROR, 1, 1, "Terraform plan format_version '9.0' is not supported (0.x and 1.x are)")],
    ),
    ("nul-byte.yaml", 2, [(ERROR, 4, 1, BINARY)]),
    ("utf16-no-bom.json", 2, [(ERROR, 1, 1, BINARY)]),
    ("latin1.yaml", 2, [(ERROR, 6, 1, "not UTF-8 text (invalid byte at offset 75)")]),
    (
        "control-char.yaml",
        2,
        [(ERROR, 6, 14, "malformed YAML: unacceptable character #x001b: control characters are not allowed")],
    ),
    ("surrogate.json", 2, [(ERROR, 1, 89, "malformed YAML: found invalid Unicode character escape code")]),
    ("tagged-secret.yaml", 2, [(ERROR, 8, 16, NOT_READABLE)]),
    ("big-number.yaml", 2, [(ERROR, 6, 6, NOT_READABLE)]),
    ("python-tag.yaml", 2, [(ERROR, 7, 8, "unsupported tag !!python/object/apply:os.system on a collection")]),
    (
        "duplicate-security-context.yaml",
        1,
        [
            (
                DUPLICATE,
                21,
                11,
                "key 'securityContext' at /spec/template/spec/containers/0/securityContext is given twice; "
                "only the last value counts",
            )
        ],
    ),
    (
        "duplicate-key.json",
        1,
        [(DUPLICATE, 8, 5, "key 'hostNetwork' at /spec/hostNetwork is given twice; only the last value counts")],
    ),
    ("tier-typo.yaml", 2, [(ERROR, 7, 5, f"govscan.io/tier label 'prodd' on Deployment/billing {NOT_A_TIER}")]),
    ("plan-tier-typo.json", 2, [(ERROR, 17, 20, f"tag Environment 'prodd' on aws_db_instance/erp {NOT_A_TIER}")]),
    ("empty.yaml", 2, []),
    ("values-only.yaml", 2, []),
]


@pytest.mark.parametrize(("name", "exit_code", "expected"), CASES, ids=[c[0] for c in CASES])
def test_hostile_fixture_has_its_exact_outcome(
    name: str, exit_code: int, expected: list[tuple[str, int, int, str]]
) -> None:
    report = scan_here(HOSTILE, name)
    assert tool_findings(report) == [(rule, name, line, column, message) for rule, line, column, message in expected]
    assert report.gate.exit_code == exit_code
    if exit_code == 2 and expected:
        rule, line, _, message = expected[0]
        assert report.gate.reason == f"{name}:{line}: {message}"
    elif exit_code == 2:
        assert report.gate.reason == "nothing to scan: no Kubernetes resources found in the inputs"


def test_a_second_security_context_hiding_privileged_is_a_blocking_finding() -> None:
    report = scan_here(HOSTILE, "duplicate-security-context.yaml")
    [duplicate] = [f for f in report.findings if f.rule_id == DUPLICATE]
    assert duplicate.enforcement.label == "block" and duplicate.tier.value == "production"
    assert duplicate.fingerprint in report.gate.blocking
    # the parser kept only the second securityContext: privileged: true is gone from the body,
    # so the duplicate-key finding is what stops this manifest
    assert not [f for f in report.findings if f.rule_id == "pod-security.privileged"]


def test_the_whole_hostile_tree_through_the_cli_writes_every_report_and_one_error_line(tmp_path: Path) -> None:
    result = govscan("scan", str(HOSTILE), "--no-config", "-q", *report_args(tmp_path), cwd=HOSTILE.parent)
    assert result.returncode == 2
    line = one_line_error(result)
    assert line.startswith("hostile/alias-bomb.yaml:11: aliases expand past 1,000,000 nodes (YAML alias bomb?) (and ")
    report = json.loads((tmp_path / "report.json").read_text())
    errors = sorted(f["location"]["file"] for f in report["findings"] if f["rule_id"] == ERROR)
    assert len(errors) == len(set(errors)) == 16  # every fixture but the duplicate, waiver and empty ones
    assert all((tmp_path / f"report.{fmt}").stat().st_size > 0 for fmt in ("table", "sarif", "junit", "codequality"))


def test_nesting_that_would_crash_libyaml_is_refused_in_a_real_process(tmp_path: Path) -> None:
    """100,000 flow levels and 30,000 compact `- - -` levels: libyaml's recursion used to kill the process."""
    (tmp_path / "flow.yaml").write_text("a: " + "[" * 100_000 + "]" * 100_000 + "\n")
    (tmp_path / "compact.yaml").write_text("a:\n" + "- " * 30_000 + "x\n")
    result = govscan("scan", ".", "--no-config", "-q", "-f", "json", "-o", "out.json", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert one_line_error(result) == f"compact.yaml:2: {NESTING} (and 1 more input error(s); see the report)"
    report = json.loads((tmp_path / "out.json").read_text())
    assert [(f["location"]["file"], f["location"]["line"], f["location"]["column"]) for f in report["findings"]] == [
        ("compact.yaml", 2, 1),
        ("flow.yaml", 1, 132),
    ]


def test_json_deeper_than_the_json_parser_allows_and_depth_hidden_behind_brackets_in_strings(tmp_path: Path) -> None:
    (tmp_path / "deep.json").write_text(
        '{"apiVersion": "v1", "kind": "ConfigMap", "x": ' + "[" * 100_000 + "]" * 100_000 + "}"
    )
    closers = "]" * 5000  # brackets inside a string must not lower the count
    hidden = (
        '{"format_version": "1.2", "note": "' + closers + '", "resource_changes": [{"address": "a.b", "after": '
        + '{"a": ' * 900 + "1" + "}" * 900 + "}]}"
    )  # fmt: skip
    (tmp_path / "hidden.json").write_text(hidden)
    level_129 = hidden.index('{"a": ') + 6 * 125  # levels 1-3 are the plan, its list and the entry
    report = scan_here(tmp_path, "deep.json", "hidden.json")
    assert tool_findings(report) == [
        (ERROR, "deep.json", 1, 48 + 127, NESTING),
        (ERROR, "hidden.json", 1, level_129 + 1, NESTING),
    ]


def test_files_over_the_size_cap_are_refused_before_reading(tmp_path: Path) -> None:
    (tmp_path / "small.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: '" + "x" * 2000 + "'}\n"
    )
    with (tmp_path / "sparse.yaml").open("wb") as handle:
        handle.truncate(129 * 1024 * 1024)  # sparse: nothing is written or read
    size = (tmp_path / "small.yaml").stat().st_size
    report = scan_here(tmp_path, "small.yaml", max_file_bytes=1024)
    assert tool_findings(report) == [
        (
            ERROR,
            "small.yaml",
            1,
            1,
            f"file is {size:,} bytes, over the 1,024 bytes limit (raise it with --max-file-size)",
        )
    ]
    report = scan_here(tmp_path, "sparse.yaml")
    assert tool_findings(report) == [
        (ERROR, "sparse.yaml", 1, 1, "file is 129.0 MiB, over the 128.0 MiB limit (raise it with --max-file-size)")
    ]


def test_stdin_over_the_size_cap_is_refused(tmp_path: Path) -> None:
    manifest = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: '" + "x" * 5000 + "'}\n"
    result = govscan("scan", "-", "--no-config", "-q", "--max-file-size", "4K", cwd=tmp_path, stdin=manifest)
    assert result.returncode == 2
    assert one_line_error(result) == "<stdin>:1: input is over the 4,096 bytes limit (raise it with --max-file-size)"


def test_thousands_of_documents_in_one_file_keep_exact_lines(tmp_path: Path) -> None:
    documents = [
        f"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i}\n  namespace: erp\ndata:\n  a: b\n"
        for i in range(5000)
    ]
    documents[4321] = documents[4321].replace("  a: b\n", "  a: b\n  a: c\n")
    (tmp_path / "many.yaml").write_text("".join(documents))
    report = scan_here(tmp_path, "many.yaml", rule_patterns=("secrets.configmap-literal",))
    assert report.resources == 5000
    assert tool_findings(report) == [
        (DUPLICATE, "many.yaml", 4321 * 8 + 9, 3, "key 'a' at /data/a is given twice; only the last value counts")
    ]


def test_symlink_loops_links_leaving_the_tree_and_special_files(tmp_path: Path) -> None:
    tree = tmp_path / "repo"
    tree.mkdir()
    (tmp_path / "outside.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: outside}\n")
    (tree / "ok.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok, namespace: erp}\n")
    (tree / "a.yaml").symlink_to("b.yaml")
    (tree / "b.yaml").symlink_to("a.yaml")
    (tree / "self").symlink_to(".")
    (tree / "leak.yaml").symlink_to(tmp_path / "outside.yaml")
    (tree / "passwd.yaml").symlink_to("/etc/passwd")
    os.mkfifo(tree / "pipe.yaml")
    (tree / "inside.yaml").symlink_to("ok.yaml")  # a link within the tree is read (once)
    result = govscan(
        "scan", ".", "/dev/zero", "--no-config", "-q", "-f", "json", "-o", "../out.json", cwd=tree, timeout=60
    )
    assert result.returncode == 2
    report = json.loads((tmp_path / "out.json").read_text())
    assert [(f["location"]["file"], f["message"]) for f in report["findings"] if f["rule_id"] == ERROR] == [
        ("/dev/zero", "not a regular file (a FIFO, device or socket is never read)"),
        ("a.yaml", "broken or looping symlink"),
        ("b.yaml", "broken or looping symlink"),
        ("leak.yaml", "symlink points outside the scanned tree"),
        ("passwd.yaml", "symlink points outside the scanned tree"),
        ("pipe.yaml", "not a regular file (a FIFO, device or socket is never read)"),
        ("self", "symlinked directory not followed"),
    ]
    assert report["summary"]["resources"] == 1 and report["summary"]["files"] == 3


def test_a_named_fifo_and_a_symlink_loop_on_the_command_line(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.yaml")
    (tmp_path / "loop.yaml").symlink_to("loop.yaml")
    result = govscan("scan", "pipe.yaml", "loop.yaml", "--no-config", "-q", "-f", "json", cwd=tmp_path, timeout=60)
    assert result.returncode == 2
    report = json.loads(result.stdout)
    assert [(f["location"]["file"], f["message"]) for f in report["findings"]] == [
        ("loop.yaml", "cannot read: Too many levels of symbolic links"),
        ("pipe.yaml", "not a regular file (a FIFO, device or socket is never read)"),
    ]


def test_a_thousand_nested_directories_do_not_overflow_the_walk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    here = tmp_path / "tree"
    here.mkdir()
    monkeypatch.chdir(here)  # a relative mkdir per level keeps paths short enough for the OS; restored after
    for _ in range(1200):
        os.mkdir("d")
        os.chdir("d")
    Path("deep.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep, namespace: erp}\n")
    try:
        report = scan_here(tmp_path, "tree")
    finally:  # pytest's cleanup (shutil.rmtree) recurses and would fail on this tree later: remove it bottom-up
        os.remove("deep.yaml")
        for _ in range(1200):
            os.chdir("..")
            os.rmdir("d")
    assert report.resources == 1 and not tool_findings(report)
