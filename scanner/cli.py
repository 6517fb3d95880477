"""The govscan command line: parses flags, calls the engine, writes reports, exits. No logic."""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from govscan.scanner.errors import GovscanError, UsageError
from govscan.scanner.version import __version__

if TYPE_CHECKING:
    from govscan.scanner.model import ScanReport

app = typer.Typer(
    name="govscan",
    help=(
        "Policy-as-code compliance scanner and CI gate for Kubernetes and Helm output.\n\n"
        "Start with:  govscan scan k8s/   (or: helm template ... | govscan scan -)\n\n"
        "Exit codes: 0 passed, 1 blocked by policy, 2 could not run as asked, 3 incomplete."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
rules_app = typer.Typer(help="List and explain the built-in rules.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")
policy_app = typer.Typer(
    help="Work with Rego policies (Conftest's deny / warn / exception contract).", no_args_is_help=True
)
app.add_typer(policy_app, name="policy")

FORMATS_HELP = (
    "Report format: table, json, sarif, junit, codequality, github (workflow annotations), markdown. "
    "Repeat with --output to write several."
)
SARIF_CATEGORY_HELP = (
    "SARIF automationDetails category: each scan target's run gets the id CATEGORY/TARGET/ (default: govscan)."
)


def _fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"govscan: error: {message}", err=True)
    raise typer.Exit(code)


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _parse_size(text: str) -> int:
    units = {"k": 1024, "m": 1024**2, "g": 1024**3}
    value = text.strip().lower().rstrip("ib")
    try:
        if value and value[-1] in units:
            return int(float(value[:-1]) * units[value[-1]])
        return int(value)
    except ValueError:
        raise UsageError(f"--max-file-size: {text!r} is not a size (e.g. 32M)") from None


def _is_ci() -> bool:
    return bool(os.environ.get("CI")) or bool(os.environ.get("GITHUB_ACTIONS")) or bool(os.environ.get("GITLAB_CI"))


def check_formats(formats: list[str], outputs: list[Path]) -> list[str]:
    """The --format/--output pairs of any reporting command, validated before any work starts."""
    from govscan import reporters

    chosen = list(formats) or ["table"]
    for name in chosen:
        if name not in reporters.FORMATS:
            raise UsageError(f"unknown format {name!r}; choose one of: {', '.join(reporters.FORMATS)}")
    if len(outputs) > len(chosen):
        raise UsageError("more --output paths than --format options; pair each --output with a --format")
    if len(chosen) - len(outputs) > 1:
        raise UsageError("only one format can go to stdout; give --output PATH for the others")
    return chosen


def write_reports(
    report: ScanReport,
    formats: list[str],
    outputs: list[Path],
    color: bool | None,
    *,
    sarif_category: str | None = None,
) -> None:
    """Write each format to its paired --output (or stdout); reports are written before any exit."""
    from govscan import reporters

    use_color = sys.stdout.isatty() and not os.environ.get("NO_COLOR") if color is None else color
    for index, name in enumerate(formats):
        target = outputs[index] if index < len(outputs) else None
        to_stdout = target is None or str(target) == "-"
        pieces = reporters.chunks(name, report, color=bool(use_color and to_stdout), sarif_category=sarif_category)
        if to_stdout:
            sys.stdout.writelines(pieces)
        else:
            assert target is not None
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                with target.open("w", encoding="utf-8") as stream:
                    stream.writelines(pieces)
            except OSError as exc:
                _fail(f"{target}: cannot write report: {exc.strerror or exc}")


@app.command()
def scan(
    paths: Annotated[
        list[str],
        typer.Argument(
            help="Files or directories to scan (YAML/JSON manifests, plan or preview JSON); - reads stdin.",
            show_default=False,
        ),
    ],
    format: Annotated[list[str], typer.Option("--format", "-f", help=FORMATS_HELP)] = [],  # noqa: B006
    output: Annotated[
        list[Path], typer.Option("--output", "-o", help="Write the matching --format to this file (paired in order).")
    ] = [],  # noqa: B006
    tier: Annotated[
        str | None,
        typer.Option(help="Treat every resource as this tier: production, staging, qa, development, sandbox."),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="Config file (default: nearest .govscan.yaml above the first path)."),
    ] = None,
    rule: Annotated[
        list[str], typer.Option("--rule", "-r", help="Run only rules matching this id or glob (repeatable).")
    ] = [],  # noqa: B006
    skip_rule: Annotated[
        list[str], typer.Option("--skip-rule", help="Do not run rules matching this id or glob (repeatable).")
    ] = [],  # noqa: B006
    domain: Annotated[
        list[str], typer.Option("--domain", "-d", help="Run only rules of this domain (repeatable).")
    ] = [],  # noqa: B006
    fail_on: Annotated[
        str, typer.Option(help="Lowest enforcement that fails the gate: block, warn or info.")
    ] = "block",
    soft_fail: Annotated[
        bool, typer.Option("--soft-fail", help="Report blocking findings but exit 0 (never hides exit 2 or 3).")
    ] = False,
    fail_on_incomplete: Annotated[
        bool, typer.Option("--fail-on-incomplete", help="Exit 3 when any rule could not be evaluated.")
    ] = False,
    max_file_size: Annotated[str, typer.Option(help="Largest file to read, e.g. 32M or 1G.")] = "128M",
    workspace: Annotated[
        str | None,
        typer.Option(help="Terraform workspace of the plans; a tier name or alias (prod, staging) sets their tier."),
    ] = None,
    tf_root: Annotated[
        Path | None,
        typer.Option(
            "--tf-root",
            exists=True,
            file_okay=False,
            help="Terraform source directory: plan findings point at the resource blocks in its .tf files.",
        ),
    ] = None,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs", "-j", min=1, help="Processes that parse files in parallel (default: CPU cores; 1: no workers)."
        ),
    ] = None,
    policy: Annotated[
        list[str],
        typer.Option(
            "--policy",
            "-p",
            help="Rego policies to run too: a directory, a .rego file, or git:REF:PATH to read them from a git ref "
            "(repeatable).",
        ),
    ] = [],  # noqa: B006
    namespace: Annotated[
        list[str],
        typer.Option("--namespace", "-n", help="Rego packages to run, as globs (repeatable; default: main)."),
    ] = [],  # noqa: B006
    combine: Annotated[
        bool,
        typer.Option("--combine", help="Give Rego policies every resource of the scan as data.govscan.resources."),
    ] = False,
    opa_url: Annotated[
        str | None,
        typer.Option(
            "--opa-url",
            help="Evaluate Rego on this OPA server (e.g. http://localhost:8181): --policy files are pushed to it, "
            "or without --policy the policies it has are used. Token: $GOVSCAN_OPA_TOKEN.",
        ),
    ] = None,
    no_config: Annotated[
        bool, typer.Option("--no-config", help="Ignore .govscan.yaml files; use built-in defaults.")
    ] = False,
    shard: Annotated[
        str | None,
        typer.Option(
            "--shard",
            metavar="INDEX/COUNT",
            help="Judge only this shard's files (e.g. 2/4; by a hash of each path), reading the rest for "
            "cross-resource context. Join the shards' JSON reports with `govscan merge`.",
        ),
    ] = None,
    context: Annotated[
        list[str],
        typer.Option(
            "--context",
            help="Also read this path so cross-resource rules and tiers see it, without judging it "
            "(repeatable; e.g. the whole repository when scanning changed files).",
        ),
    ] = [],  # noqa: B006
    sarif_category: Annotated[str | None, typer.Option("--sarif-category", help=SARIF_CATEGORY_HELP)] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress line on the terminal.")] = False,
    color: Annotated[
        bool | None, typer.Option("--color/--no-color", help="Force colour on or off (default: on for a terminal).")
    ] = None,
) -> None:
    """Scan manifests, Helm output, Terraform plans and Pulumi previews, then gate on the findings.

    Examples:\n
      govscan scan k8s/ --tier production\n
      terraform show -json plan.out > plan.json && govscan scan plan.json --workspace prod\n
      pulumi preview --json > preview.json && govscan scan preview.json\n
      helm template erp ./chart | govscan scan - --format sarif -o govscan.sarif\n
      govscan scan overlays/ -f table -f junit -o - -o junit.xml\n
      govscan scan . --shard 2/4 -f json -o shard-2.json     (then: govscan merge shard-*.json)\n
      govscan scan --context . deploy/web.yaml               (changed files; the repo read as context)\n
      govscan scan k8s/ --policy policy/ --namespace 'k8s.*'\n
      govscan scan k8s/ --policy git:origin/main:policy       (policies as on the base branch)
    """
    from govscan.scanner import progress
    from govscan.scanner.config import find_config, load_config
    from govscan.scanner.engine import ScanRequest
    from govscan.scanner.engine import scan as run_scan
    from govscan.scanner.model import Enforcement, Tier
    from govscan.scanner.shard import Shard

    try:
        formats = check_formats(format, output)
        shard_value = Shard.parse(shard) if shard is not None else None
        if "-" in context:
            raise UsageError("--context: stdin (-) cannot be context; pass files or directories")
        try:
            tier_value = Tier.parse(tier) if tier else None
        except ValueError:
            raise UsageError(
                f"--tier: unknown tier {tier!r}; choose production, staging, qa, development or sandbox"
            ) from None
        try:
            threshold = Enforcement.parse(fail_on)
            if threshold is Enforcement.OFF:
                raise KeyError(fail_on)
        except KeyError:
            raise UsageError(f"--fail-on: {fail_on!r} is not one of block, warn, info") from None
        if paths == ["-"] and sys.stdin.isatty():
            raise UsageError(
                "reading manifests from stdin, but stdin is a terminal; pipe input, e.g. helm template . | govscan scan -"
            )
        config_path = None if no_config else (config or find_config(Path(next((p for p in paths if p != "-"), "."))))
        request = ScanRequest(
            targets=tuple(paths),
            config=load_config(config_path),
            tier=tier_value,
            rule_patterns=tuple(rule),
            skip_patterns=tuple(skip_rule),
            domains=tuple(domain),
            fail_on=threshold,
            soft_fail=soft_fail,
            fail_on_incomplete=fail_on_incomplete,
            max_file_bytes=_parse_size(max_file_size),
            today=dt.date.today(),
            jobs=jobs or _cores(),
            workspace=workspace,
            tf_root=tf_root,
            shard=shard_value,
            context=tuple(context),
            policies=tuple(policy),
            namespaces=tuple(namespace) or ("main",),
            combine=combine,
            opa_url=opa_url,
        )
        if progress.wanted() and not quiet:
            meter = progress.Progress()
            request = dataclasses.replace(request, progress=meter)
            try:
                report = run_scan(request)
            finally:
                meter.close()
        else:
            report = run_scan(request)
    except GovscanError as exc:
        _fail(str(exc), exc.exit_code)

    write_reports(report, formats, output, color, sarif_category=sarif_category)
    gate = report.gate
    if gate.exit_code == 2:
        typer.echo(f"govscan: error: {gate.reason}", err=True)
    raise typer.Exit(gate.exit_code)


@app.command()
def merge(
    reports: Annotated[
        list[Path],
        typer.Argument(
            help="JSON reports (--format json) of the shards of a scan, or of several scans.", show_default=False
        ),
    ],
    format: Annotated[list[str], typer.Option("--format", "-f", help=FORMATS_HELP)] = [],  # noqa: B006
    output: Annotated[
        list[Path], typer.Option("--output", "-o", help="Write the matching --format to this file (paired in order).")
    ] = [],  # noqa: B006
    fail_on: Annotated[
        str, typer.Option(help="Lowest enforcement that fails the gate: block, warn or info.")
    ] = "block",
    soft_fail: Annotated[
        bool, typer.Option("--soft-fail", help="Report blocking findings but exit 0 (never hides exit 2 or 3).")
    ] = False,
    fail_on_incomplete: Annotated[
        bool, typer.Option("--fail-on-incomplete", help="Exit 3 when any rule could not be evaluated.")
    ] = False,
    sarif_category: Annotated[str | None, typer.Option("--sarif-category", help=SARIF_CATEGORY_HELP)] = None,
    color: Annotated[
        bool | None, typer.Option("--color/--no-color", help="Force colour on or off (default: on for a terminal).")
    ] = None,
) -> None:
    """Join the JSON reports of a sharded scan into one report, in any format, with one verdict.

    Every shard must be there once; the gate decides again over all findings, with the same flags as
    scan (pass the ones the shards used). Exit codes as for scan.

    Examples:\n
      govscan scan . --shard 1/2 -f json -o shard-1.json     (one CI job per shard)\n
      govscan scan . --shard 2/2 -f json -o shard-2.json\n
      govscan merge shard-*.json -f table -f sarif -o govscan.sarif -f junit -o junit.xml
    """
    from govscan.scanner import merge as merging
    from govscan.scanner.model import Enforcement

    try:
        formats = check_formats(format, output)
        try:
            threshold = Enforcement.parse(fail_on)
            if threshold is Enforcement.OFF:
                raise KeyError(fail_on)
        except KeyError:
            raise UsageError(f"--fail-on: {fail_on!r} is not one of block, warn, info") from None
        report = merging.merge(
            [merging.load(path) for path in reports],
            fail_on=threshold,
            soft_fail=soft_fail,
            fail_on_incomplete=fail_on_incomplete,
        )
    except GovscanError as exc:
        _fail(str(exc), exc.exit_code)

    write_reports(report, formats, output, color, sarif_category=sarif_category)
    gate = report.gate
    if gate.exit_code == 2:
        typer.echo(f"govscan: error: {gate.reason}", err=True)
    raise typer.Exit(gate.exit_code)


@rules_app.command("list")
def rules_list(
    domain: Annotated[str | None, typer.Option("--domain", "-d", help="Only this domain.")] = None,
    output_format: Annotated[str, typer.Option("--format", "-f", help="table, markdown or json.")] = "table",
) -> None:
    """Print the rule catalog: id, domain, severity and enforcement per tier."""
    from govscan.scanner import catalog

    try:
        sys.stdout.write(catalog.render_list(output_format, domain))
    except GovscanError as exc:
        _fail(str(exc), exc.exit_code)


@rules_app.command("show")
def rules_show(rule_id: Annotated[str, typer.Argument(help="Rule id, e.g. ha.replicas.")]) -> None:
    """Explain one rule: why it exists, how to pass, its options and enforcement per tier."""
    from govscan.scanner import catalog

    try:
        sys.stdout.write(catalog.render_show(rule_id))
    except GovscanError as exc:
        _fail(str(exc), exc.exit_code)


@policy_app.command("test")
def policy_test(
    paths: Annotated[
        list[str],
        typer.Argument(help="Directories or .rego files with policies and their *_test.rego tests; git:REF:PATH too."),
    ],
) -> None:
    """Run the test_* rules of Rego policies, like `conftest verify`.

    Prints PASS, FAIL or ERROR per test with its file and line; exit 0 when all pass, 1 when one
    fails or errors, 2 when a module does not compile.

    Examples:\n
      govscan policy test policy/\n
      govscan policy test git:origin/main:policy
    """
    from govscan.scanner.policies import run_policy_tests

    try:
        outcomes = run_policy_tests(paths, Path.cwd())
    except GovscanError as exc:
        _fail(str(exc), exc.exit_code)
    for outcome in outcomes:
        line = f"{outcome.status.upper():<5} {outcome.path}:{outcome.line} data.{outcome.package}.{outcome.name}"
        typer.echo(line + (f": {outcome.message}" if outcome.message else ""))
    failed = sum(o.status == "fail" for o in outcomes)
    errors = sum(o.status == "error" for o in outcomes)
    passed = len(outcomes) - failed - errors
    typer.echo(f"{len(outcomes)} tests, {passed} passed, {failed} failed, {errors} errors")
    raise typer.Exit(1 if failed or errors else 0)


@app.command()
def version() -> None:
    """Print govscan's version."""
    typer.echo(f"govscan {__version__}")


def main() -> None:
    # One short-lived command over acyclic data: collector passes would only re-walk what the scan
    # keeps (0.1 s of a 10,000-finding JSON report). Memory is returned at exit.
    gc.disable()
    try:
        app()
    except KeyboardInterrupt:
        typer.echo("govscan: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # the last line of defence: one line, no traceback
        if os.environ.get("GOVSCAN_DEBUG"):
            raise
        typer.echo(
            f"govscan: internal error: {type(exc).__name__}: {exc} (set GOVSCAN_DEBUG=1 for a traceback)", err=True
        )
        sys.exit(2)


if __name__ == "__main__":
    main()
