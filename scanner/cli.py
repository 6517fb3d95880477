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
from govscan.scanner.printable import printable
from govscan.scanner.version import __version__

if TYPE_CHECKING:
    from govscan.scanner.engine import ScanRequest
    from govscan.scanner.loaders.cluster import Target
    from govscan.scanner.model import Enforcement, ScanReport, Tier

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
    typer.echo(f"govscan: error: {printable(message)}", err=True)
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
        size = int(float(value[:-1]) * units[value[-1]]) if value and value[-1] in units else int(value)
    except (ValueError, OverflowError):
        raise UsageError(f"--max-file-size: {text!r} is not a size (e.g. 32M)") from None
    if size < 1:
        raise UsageError(f"--max-file-size: {text!r} must be at least 1 byte (e.g. 32M)")
    return size


def _is_ci() -> bool:
    return bool(os.environ.get("CI")) or bool(os.environ.get("GITHUB_ACTIONS")) or bool(os.environ.get("GITLAB_CI"))


def parse_tier_flag(flag: str, value: str | None) -> Tier | None:
    from govscan.scanner.model import Tier

    try:
        return Tier.parse(value) if value else None
    except ValueError:
        raise UsageError(
            f"{flag}: unknown tier {value!r}; choose production, staging, qa, development or sandbox"
        ) from None


def parse_fail_on(value: str) -> Enforcement:
    from govscan.scanner.model import Enforcement

    try:
        threshold = Enforcement.parse(value)
        if threshold is Enforcement.OFF:
            raise KeyError(value)
    except KeyError:
        raise UsageError(f"--fail-on: {value!r} is not one of block, warn, info") from None
    return threshold


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
    engine: Annotated[
        list[str],
        typer.Option(
            "--engine",
            help="Also run checkov or trivy-config on the same inputs, offline; their findings join the verdict "
            "(repeatable). See docs/engines.md.",
        ),
    ] = [],  # noqa: B006
    engine_timeout: Annotated[
        float, typer.Option(min=1, help="Seconds a tool may run before its checks count as not evaluated.")
    ] = 600.0,
    trivy_report: Annotated[
        list[Path],
        typer.Option(
            "--trivy-report",
            help="trivy image JSON report, or a directory of them (matched by ArtifactName): judges the images "
            "workloads run (repeatable).",
        ),
    ] = [],  # noqa: B006
    scan_images: Annotated[
        bool,
        typer.Option(
            "--scan-images",
            help="Run `trivy image` offline on local images no --trivy-report covers (never pulls or downloads).",
        ),
    ] = False,
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
      govscan scan k8s/ --policy git:origin/main:policy       (policies as on the base branch)\n
      govscan scan k8s/ plan.json --engine checkov --engine trivy-config\n
      govscan scan k8s/ --trivy-report reports/   (trivy image --format json per image)
    """
    from govscan.scanner import progress
    from govscan.scanner.config import find_config, load_config
    from govscan.scanner.engine import ScanRequest
    from govscan.scanner.engine import scan as run_scan
    from govscan.scanner.shard import Shard

    try:
        formats = check_formats(format, output)
        shard_value = Shard.parse(shard) if shard is not None else None
        if "-" in context:
            raise UsageError("--context: stdin (-) cannot be context; pass files or directories")
        tier_value = parse_tier_flag("--tier", tier)
        threshold = parse_fail_on(fail_on)
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
            engines=tuple(engine),
            trivy_reports=tuple(trivy_report),
            scan_images=scan_images,
            engine_timeout=engine_timeout,
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

    _finish(report, formats, output, color, sarif_category)


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

    try:
        formats = check_formats(format, output)
        threshold = parse_fail_on(fail_on)
        report = merging.merge(
            [merging.load(path) for path in reports],
            fail_on=threshold,
            soft_fail=soft_fail,
            fail_on_incomplete=fail_on_incomplete,
        )
    except GovscanError as exc:
        _fail(str(exc), exc.exit_code)

    _finish(report, formats, output, color, sarif_category)


# --- live clusters: govscan cluster, govscan cluster check-access, govscan drift --------------------

cluster_app = typer.Typer(invoke_without_command=True)
app.add_typer(cluster_app, name="cluster")

KubeconfigOption = Annotated[
    Path | None, typer.Option("--kubeconfig", help="Kubeconfig file (default: $KUBECONFIG, then ~/.kube/config).")
]
ContextOption = Annotated[str | None, typer.Option("--context", help="Kubeconfig context (default: current-context).")]
NamespaceOption = Annotated[
    str | None, typer.Option("--namespace", "-n", help="Only this namespace (default: the context's namespace).")
]
AllNamespacesOption = Annotated[bool, typer.Option("--all-namespaces", "-A", help="Every namespace.")]
InClusterOption = Annotated[
    bool, typer.Option("--in-cluster", help="Use the pod's service account (the nightly audit CronJob).")
]
TimeoutOption = Annotated[float, typer.Option("--request-timeout", min=1, help="Seconds each API request may take.")]
ReadSecretsOption = Annotated[
    bool,
    typer.Option(
        "--read-secrets",
        help="Read Secret values when a rule needs them (default: Secrets are listed as metadata only).",
    ),
]
FormatOption = Annotated[list[str], typer.Option("--format", "-f", help=FORMATS_HELP)]
OutputOption = Annotated[
    list[Path], typer.Option("--output", "-o", help="Write the matching --format to this file (paired in order).")
]
TierOption = Annotated[
    str | None, typer.Option(help="Treat every resource as this tier: production, staging, qa, development, sandbox.")
]
ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help="Config file (default: nearest .govscan.yaml above here).")
]
NoConfigOption = Annotated[bool, typer.Option("--no-config", help="Ignore .govscan.yaml files; use built-in defaults.")]
RuleOption = Annotated[list[str], typer.Option("--rule", "-r", help="Run only rules matching this id or glob.")]
SkipRuleOption = Annotated[list[str], typer.Option("--skip-rule", help="Do not run rules matching this id or glob.")]
DomainOption = Annotated[list[str], typer.Option("--domain", "-d", help="Run only rules of this domain.")]
FailOnOption = Annotated[str, typer.Option(help="Lowest enforcement that fails the gate: block, warn or info.")]
SoftFailOption = Annotated[
    bool, typer.Option("--soft-fail", help="Report blocking findings but exit 0 (never hides exit 2 or 3).")
]
IncompleteOption = Annotated[
    bool,
    typer.Option("--fail-on-incomplete", help="Exit 3 when any rule could not be evaluated (e.g. a 403 on a kind)."),
]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="No progress line on the terminal.")]
ColorOption = Annotated[
    bool | None, typer.Option("--color/--no-color", help="Force colour on or off (default: on for a terminal).")
]


def _scan_request(
    targets: tuple[str, ...],
    config_start: Path,
    config: Path | None,
    no_config: bool,
    tier: str | None,
    fail_on: str,
    rule: list[str],
    skip_rule: list[str],
    domain: list[str],
    soft_fail: bool,
    fail_on_incomplete: bool,
) -> ScanRequest:
    """The ScanRequest of a live command (cluster, drift): same meaning as `scan`'s flags."""
    from govscan.scanner.config import find_config, load_config
    from govscan.scanner.engine import ScanRequest

    tier_value = parse_tier_flag("--tier", tier)
    threshold = parse_fail_on(fail_on)
    config_path = None if no_config else (config or find_config(config_start))
    return ScanRequest(
        targets=targets,
        config=load_config(config_path),
        tier=tier_value,
        rule_patterns=tuple(rule),
        skip_patterns=tuple(skip_rule),
        domains=tuple(domain),
        fail_on=threshold,
        soft_fail=soft_fail,
        fail_on_incomplete=fail_on_incomplete,
        today=dt.date.today(),
    )


def _target(
    kubeconfig: Path | None,
    context: str | None,
    namespace: str | None,
    all_namespaces: bool,
    in_cluster: bool,
    timeout: float,
) -> Target:
    from govscan.scanner.loaders.cluster import Target

    if namespace and all_namespaces:
        raise UsageError("--namespace and --all-namespaces exclude each other")
    if in_cluster and (kubeconfig or context):
        raise UsageError("--in-cluster uses the pod's service account; drop --kubeconfig/--context")
    return Target(kubeconfig, context, namespace, all_namespaces, in_cluster, timeout)


def _finish(
    report: ScanReport, formats: list[str], output: list[Path], color: bool | None, sarif_category: str | None
) -> NoReturn:
    """Write every report, then exit with the gate's code (its reason on stderr when it is 2)."""
    write_reports(report, formats, output, color, sarif_category=sarif_category)
    if report.gate.exit_code == 2:
        typer.echo(f"govscan: error: {printable(report.gate.reason)}", err=True)
    raise typer.Exit(report.gate.exit_code)


@cluster_app.callback()
def cluster(
    ctx: typer.Context,
    kubeconfig: KubeconfigOption = None,
    context: ContextOption = None,
    namespace: NamespaceOption = None,
    all_namespaces: AllNamespacesOption = False,
    in_cluster: InClusterOption = False,
    request_timeout: TimeoutOption = 30.0,
    read_secrets: ReadSecretsOption = False,
    source_root: Annotated[
        Path | None,
        typer.Option(
            "--source-root",
            exists=True,
            file_okay=False,
            help="Git checkout that Argo CD / Flux deploy from: tracked objects' findings point at their files.",
        ),
    ] = None,
    format: FormatOption = [],  # noqa: B006
    output: OutputOption = [],  # noqa: B006
    sarif_category: Annotated[str | None, typer.Option("--sarif-category", help=SARIF_CATEGORY_HELP)] = None,
    tier: TierOption = None,
    config: ConfigOption = None,
    no_config: NoConfigOption = False,
    rule: RuleOption = [],  # noqa: B006
    skip_rule: SkipRuleOption = [],  # noqa: B006
    domain: DomainOption = [],  # noqa: B006
    fail_on: FailOnOption = "block",
    soft_fail: SoftFailOption = False,
    fail_on_incomplete: IncompleteOption = False,
    quiet: QuietOption = False,
    color: ColorOption = None,
) -> None:
    """Audit a live cluster with the same rules, tiers, waivers, gate and reports as scan.

    Only kinds the enabled rules need are listed, page by page; Namespaces' govscan.io/tier labels decide tiers as in scan. A kind the credentials cannot read (403) or the cluster does not serve (404) makes the rules that need it report not evaluated in every format; --fail-on-incomplete turns that into exit 3. Secrets are listed as metadata only unless --read-secrets. Findings point at the Git file when an Argo CD tracking annotation or Flux labels name one under --source-root, else at cluster/<context>/<namespace>/<Kind>/<name>.yaml.

    `govscan cluster check-access` asks the API server whether these credentials may read all of it.

    Examples:\n
      govscan cluster -A -f table -f sarif -o - -o cluster.sarif\n
      govscan cluster --context prod -n erp-prod --fail-on-incomplete\n
      govscan cluster -A --source-root ~/src/gitops -f sarif -o cluster.sarif\n
      govscan cluster --in-cluster -A -f json -o /reports/cluster.json
    """
    if ctx.invoked_subcommand is not None:
        ctx.obj = {"kubeconfig": kubeconfig, "context": context, "namespace": namespace,
                   "all_namespaces": all_namespaces, "in_cluster": in_cluster}  # fmt: skip
        return
    from govscan.scanner import progress
    from govscan.scanner.live import ClusterRequest, audit

    try:
        formats = check_formats(format, output)
        target = _target(kubeconfig, context, namespace, all_namespaces, in_cluster, request_timeout)
        scan_request = _scan_request(
            (), source_root or Path.cwd(), config, no_config, tier, fail_on, rule, skip_rule, domain, soft_fail,
            fail_on_incomplete,
        )  # fmt: skip
        request = ClusterRequest(scan_request, target, read_secrets, source_root)
        meter = progress.Progress() if progress.wanted() and not quiet else None
        try:
            report = audit(request, meter)
        finally:
            if meter is not None:
                meter.close()
    except GovscanError as exc:
        _fail(str(exc), exc.exit_code)
    _finish(report, formats, output, color, sarif_category)


@cluster_app.command("check-access")
def cluster_check_access(
    ctx: typer.Context,
    kubeconfig: KubeconfigOption = None,
    context: ContextOption = None,
    namespace: NamespaceOption = None,
    all_namespaces: AllNamespacesOption = False,
    in_cluster: InClusterOption = False,
    request_timeout: TimeoutOption = 30.0,
    tier: TierOption = None,
    config: ConfigOption = None,
    no_config: NoConfigOption = False,
    rule: RuleOption = [],  # noqa: B006
    skip_rule: SkipRuleOption = [],  # noqa: B006
    domain: DomainOption = [],  # noqa: B006
) -> None:
    """May these credentials read everything the enabled rules need? (SelfSubjectAccessReviews)

    For each kind the enabled rules judge or read, asks whether list and get are allowed where an audit with the same flags would read, and prints what is missing. Exit 0: everything granted; 3: something is missing (those rules would report not evaluated); 2: the cluster could not be asked.

    Examples:\n
      govscan cluster check-access -A\n
      govscan cluster check-access --context prod -n erp-prod --skip-rule secrets.committed-secret
    """
    from govscan.scanner.live import ClusterRequest, check_access, render_access

    given = ctx.obj or {}
    try:
        target = _target(
            kubeconfig or given.get("kubeconfig"),
            context or given.get("context"),
            namespace or given.get("namespace"),
            all_namespaces or bool(given.get("all_namespaces")),
            in_cluster or bool(given.get("in_cluster")),
            request_timeout,
        )
        scan_request = _scan_request(
            (), Path.cwd(), config, no_config, tier, "block", rule, skip_rule, domain, False, False
        )
        access = check_access(ClusterRequest(scan_request, target))
    except GovscanError as exc:
        _fail(str(exc), exc.exit_code)
    sys.stdout.write(render_access(access))
    raise typer.Exit(3 if access.missing else 0)


@app.command()
def drift(
    desired: Annotated[
        list[str],
        typer.Argument(
            help="The desired state: manifest files or directories, Helm output; - reads stdin.", show_default=False
        ),
    ],
    kubeconfig: KubeconfigOption = None,
    context: ContextOption = None,
    namespace: Annotated[
        str | None,
        typer.Option("--namespace", "-n", help="Namespace for manifests that set none (default: the context's)."),
    ] = None,
    all_namespaces: Annotated[
        bool, typer.Option("--all-namespaces", "-A", help="Look for unmanaged objects in every namespace.")
    ] = False,
    in_cluster: InClusterOption = False,
    request_timeout: TimeoutOption = 30.0,
    read_secrets: ReadSecretsOption = False,
    format: FormatOption = [],  # noqa: B006
    output: OutputOption = [],  # noqa: B006
    sarif_category: Annotated[str | None, typer.Option("--sarif-category", help=SARIF_CATEGORY_HELP)] = None,
    tier: TierOption = None,
    config: ConfigOption = None,
    no_config: NoConfigOption = False,
    rule: Annotated[
        list[str],
        typer.Option("--rule", "-r", help="Policy rules compared for hand edits (or drift.* checks) to run."),
    ] = [],  # noqa: B006
    skip_rule: Annotated[
        list[str], typer.Option("--skip-rule", help="Policy rules or drift.* checks not to run.")
    ] = [],  # noqa: B006
    domain: DomainOption = [],  # noqa: B006
    fail_on: FailOnOption = "block",
    soft_fail: SoftFailOption = False,
    fail_on_incomplete: IncompleteOption = False,
    quiet: QuietOption = False,
    color: ColorOption = None,
) -> None:
    """Compare the desired state in Git with the live cluster, and gate on the drift.

    Findings in domain drift: objects missing from the cluster (drift.missing); objects in governed namespaces that Git does not have (drift.unmanaged); fields the manifests set that differ live, server defaults ignored (drift.modified); policy findings live that Git does not have (drift.hand-edit). Governed namespaces are those the desired state touches plus drift.namespaces in .govscan.yaml, which also sets each check's enforcement per tier. Exit codes as for scan.

    Examples:\n
      govscan drift overlays/production --context prod\n
      helm template erp ./chart -f values-prod.yaml | govscan drift - -n erp-prod\n
      govscan drift k8s/ --in-cluster -f json -o /reports/drift.json -f sarif -o /reports/drift.sarif
    """
    from govscan.scanner import progress
    from govscan.scanner.drift import DriftRequest
    from govscan.scanner.drift import drift as run_drift

    try:
        formats = check_formats(format, output)
        if desired == ["-"] and sys.stdin.isatty():
            raise UsageError(
                "reading manifests from stdin, but stdin is a terminal; pipe input, e.g. helm template . | govscan drift -"
            )
        target = _target(kubeconfig, context, namespace, all_namespaces, in_cluster, request_timeout)
        start = Path(next((p for p in desired if p != "-"), "."))
        scan_request = _scan_request(
            tuple(desired), start, config, no_config, tier, fail_on, rule, skip_rule, domain, soft_fail,
            fail_on_incomplete,
        )  # fmt: skip
        meter = progress.Progress() if progress.wanted() and not quiet else None
        try:
            report = run_drift(DriftRequest(scan_request, target, read_secrets), meter)
        finally:
            if meter is not None:
                meter.close()
    except GovscanError as exc:
        _fail(str(exc), exc.exit_code)
    _finish(report, formats, output, color, sarif_category)


def _parse_now(text: str | None) -> dt.date:
    """--now: a date, or an ISO date-time (converted to its UTC date when it has an offset)."""
    if text is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        pass
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(
            f"--now: {text!r} is not a date (2026-11-27) or an ISO date-time (2026-11-27T14:00:00Z)"
        ) from None
    return moment.astimezone(dt.UTC).date() if moment.tzinfo else moment.date()


@app.command()
def gate(
    paths: Annotated[
        list[str] | None,
        typer.Argument(help="With git refs: compare and scan only these paths (e.g. k8s/ plans/).", show_default=False),
    ] = None,
    base: Annotated[
        str | None,
        typer.Option(help="The base: a git ref (origin/main), a directory, or a plan / preview file."),
    ] = None,
    head: Annotated[
        str,
        typer.Option(help="The head: a git ref, a directory, or a plan / preview file (a plan alone is its own base)."),
    ] = "HEAD",
    target: Annotated[
        str | None,
        typer.Option(help="Tier the change is promoted to (default: the strictest tier of the changed resources)."),
    ] = None,
    approvals: Annotated[int, typer.Option(min=0, help="How many approvals the change has.")] = 0,
    label: Annotated[
        list[str],
        typer.Option(
            "--label",
            "-l",
            help="A label the change carries (repeatable); GitHub and GitLab request labels are read too.",
        ),
    ] = [],  # noqa: B006
    change_ticket: Annotated[str | None, typer.Option(help="The change's ticket, e.g. CHG-1234.")] = None,
    emergency: Annotated[
        bool, typer.Option("--emergency", help="Take a freeze window's emergency path (needs --reason and its labels).")
    ] = False,
    reason: Annotated[
        str | None, typer.Option(help="Why the emergency change cannot wait (kept in the report).")
    ] = None,
    now: Annotated[
        str | None,
        typer.Option(help="Judge freeze windows and waiver expiries on this date (YYYY-MM-DD or ISO date-time)."),
    ] = None,
    new_only: Annotated[
        bool,
        typer.Option("--new-only", help="Block only on findings the base does not have (adopt on an unclean estate)."),
    ] = False,
    format: Annotated[list[str], typer.Option("--format", "-f", help=FORMATS_HELP)] = [],  # noqa: B006
    output: Annotated[
        list[Path], typer.Option("--output", "-o", help="Write the matching --format to this file (paired in order).")
    ] = [],  # noqa: B006
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="Config file (default: .govscan.yaml of the base ref, or above the base)."),
    ] = None,
    no_config: Annotated[
        bool, typer.Option("--no-config", help="Ignore .govscan.yaml files; no release policy.")
    ] = False,
    tier: Annotated[str | None, typer.Option(help="Treat every resource as this tier.")] = None,
    rule: Annotated[
        list[str], typer.Option("--rule", "-r", help="Scan the head with only rules matching this id or glob.")
    ] = [],  # noqa: B006
    skip_rule: Annotated[
        list[str], typer.Option("--skip-rule", help="Do not run rules matching this id or glob.")
    ] = [],  # noqa: B006
    domain: Annotated[list[str], typer.Option("--domain", "-d", help="Run only rules of this domain.")] = [],  # noqa: B006
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
        str | None, typer.Option(help="Terraform workspace of the plans (a tier name sets their tier).")
    ] = None,
    jobs: Annotated[
        int | None, typer.Option("--jobs", "-j", min=1, help="Processes that parse files in parallel.")
    ] = None,
    policy: Annotated[
        list[str],
        typer.Option("--policy", "-p", help="Rego policies to scan the head with too: DIR, FILE or git:REF:PATH."),
    ] = [],  # noqa: B006
    namespace: Annotated[
        list[str], typer.Option("--namespace", "-n", help="Rego packages to run, as globs (default: main).")
    ] = [],  # noqa: B006
    combine: Annotated[
        bool, typer.Option("--combine", help="Give Rego policies every resource as data.govscan.resources.")
    ] = False,
    opa_url: Annotated[str | None, typer.Option("--opa-url", help="Evaluate Rego on this OPA server.")] = None,
    sarif_category: Annotated[str | None, typer.Option("--sarif-category", help=SARIF_CATEGORY_HELP)] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress line on the terminal.")] = False,
    color: Annotated[bool | None, typer.Option("--color/--no-color", help="Force colour on or off.")] = None,
) -> None:
    """Decide whether a change may be promoted: classify it, check the release policy, scan the head.

    The change is a base and a head: two git refs (read with git, nothing checked out or run), two
    directories, two plan / preview files, or one plan. Its release class (image-only, config-change,
    integration-change, infrastructure-change, schema-migration, data-destructive) and the target tier
    select what .govscan.yaml `release:` asks for; each unmet requirement is a finding.

    Examples:\n
      govscan gate --base origin/main --head HEAD k8s/ --approvals 2 -f markdown -o summary.md\n
      govscan gate --base origin/main --target production --change-ticket CHG-1234 --label dba-approved\n
      govscan gate --base origin/main --emergency --reason "payment outage" --label emergency-change\n
      govscan gate --base old/ --head new/ --now 2026-12-01\n
      govscan gate --head plan.json --workspace prod -f json -o gate.json
    """
    from govscan.scanner import progress
    from govscan.scanner.config import Config
    from govscan.scanner.engine import ScanRequest
    from govscan.scanner.gates import Evidence, GateRequest, ci_evidence, run_gate

    try:
        formats = check_formats(format, output)
        tiers = {flag: parse_tier_flag(flag, value) for flag, value in (("--tier", tier), ("--target", target))}
        threshold = parse_fail_on(fail_on)
        if emergency and not (reason or "").strip():
            raise UsageError("--emergency needs --reason TEXT: why the change cannot wait (it is kept in the report)")
        if reason is not None and not emergency:
            raise UsageError("--reason goes with --emergency")
        ci_labels, sources = ci_evidence(os.environ)
        sources += tuple(
            name
            for name, given in (("--approvals", approvals), ("--label", label), ("--change-ticket", change_ticket))
            if given
        )
        request = GateRequest(
            head=head,
            base=base,
            paths=tuple(paths or ()),
            scan=ScanRequest(
                targets=(),
                config=Config(),  # the gate reads the policy (from the base ref, or --config)
                tier=tiers["--tier"],
                rule_patterns=tuple(rule),
                skip_patterns=tuple(skip_rule),
                domains=tuple(domain),
                fail_on=threshold,
                soft_fail=soft_fail,
                fail_on_incomplete=fail_on_incomplete,
                max_file_bytes=_parse_size(max_file_size),
                today=_parse_now(now),
                jobs=jobs or _cores(),
                workspace=workspace,
                policies=tuple(policy),
                namespaces=tuple(namespace) or ("main",),
                combine=combine,
                opa_url=opa_url,
            ),
            target=tiers["--target"],
            evidence=Evidence(
                approvals=approvals,
                labels=frozenset(label) | ci_labels,
                change_ticket=change_ticket,
                emergency=emergency,
                reason=reason.strip() if reason else None,
                sources=sources,
            ),
            new_only=new_only,
            config_path=config,
            no_config=no_config,
        )
        if progress.wanted() and not quiet:
            meter = progress.Progress()
            request = dataclasses.replace(request, scan=dataclasses.replace(request.scan, progress=meter))
            try:
                report = run_gate(request)
            finally:
                meter.close()
        else:
            report = run_gate(request)
    except GovscanError as exc:
        _fail(str(exc), exc.exit_code)

    _finish(report, formats, output, color, sarif_category)


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
        typer.echo(  # the type only: an exception's text can quote the input, and the input a secret
            f"govscan: internal error: {type(exc).__name__} (set GOVSCAN_DEBUG=1 for a traceback)", err=True
        )
        sys.exit(2)


if __name__ == "__main__":
    main()
