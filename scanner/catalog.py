"""The rule catalog as text: `govscan rules list`, `govscan rules show ID` and docs/rules.md."""

from __future__ import annotations

import dataclasses
import json

from govscan.scanner.errors import UsageError
from govscan.scanner.model import TIERS, Rule
from govscan.scanner.registry import builtin_rules, rule_by_id


def _levels(rule: Rule) -> list[str]:
    return [rule.meta.enforcement.get(t).label if rule.meta.enforcement.get(t) else "off" for t in TIERS]  # type: ignore[union-attr]


def _options(rule: Rule) -> dict[str, object]:
    options = rule.meta.options
    if options is None or not dataclasses.is_dataclass(options):
        return {}
    return {f.name: _plain(getattr(options, f.name)) for f in dataclasses.fields(options)}


def _plain(value: object) -> object:
    if isinstance(value, tuple | frozenset | set):
        return sorted(value) if isinstance(value, frozenset | set) else list(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _select(domain: str | None) -> list[Rule]:
    rules = list(builtin_rules())
    if domain is not None:
        known = sorted({r.meta.domain for r in rules})
        if domain not in known:
            raise UsageError(f"unknown domain {domain!r}; known domains: {', '.join(known)}")
        rules = [r for r in rules if r.meta.domain == domain]
    return rules


def render_list(fmt: str, domain: str | None = None) -> str:
    rules = _select(domain)
    if fmt == "json":
        items = [
            {
                "id": r.id,
                "domain": r.meta.domain,
                "title": r.meta.title,
                "severity": r.meta.severity.label,
                "enforcement": dict(zip([t.value for t in TIERS], _levels(r), strict=True)),
                "remediation": r.meta.remediation,
                "options": _options(r),
            }
            for r in rules
        ]
        return json.dumps(items, indent=2) + "\n"
    if fmt == "markdown":
        return render_markdown(rules)
    if fmt != "table":
        raise UsageError(f"unknown format {fmt!r}; choose table, markdown or json")
    header = ("RULE", "DOMAIN", "SEVERITY", "PROD", "STAGING", "QA", "DEV", "SANDBOX")
    rows = [(r.id, r.meta.domain, r.meta.severity.label, *_levels(r)) for r in rules]
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(cell).ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in [header, *rows]]
    lines.append("")
    lines.append(
        f"{len(rules)} rules. `govscan rules show ID` explains one; enforcement per tier is overridable in .govscan.yaml."
    )
    return "\n".join(lines) + "\n"


def render_show(rule_id: str) -> str:
    from govscan.scanner.release_rules import release_rule

    try:
        rule = release_rule(rule_id) or rule_by_id(rule_id)
    except UsageError:
        adapter_rule = _adapter_rule(rule_id)
        if adapter_rule is None:
            text = _tool_check(rule_id)
            if text is None:
                raise
            return text
        rule = adapter_rule
    meta = rule.meta
    lines = [
        f"{meta.id}  ({meta.domain}, severity {meta.severity.label})",
        meta.title,
        "",
        rule.doc,
        "",
        f"Remediation: {meta.remediation}",
        "",
        "Enforcement by tier: " + ", ".join(f"{t.value} {lvl}" for t, lvl in zip(TIERS, _levels(rule), strict=True)),
    ]
    options = _options(rule)
    if options:
        lines += ["", "Options (rules." + meta.id + ".options in .govscan.yaml):"]
        lines += [f"  {k}: {json.dumps(v)}" for k, v in options.items()]
    if meta.kinds:
        lines += [
            "",
            "Applies to: "
            + ", ".join("workloads (any kind with a pod template)" if k == "@workload" else k for k in meta.kinds),
        ]
    lines += [
        "",
        f'Waive (outside production): annotate the resource  govscan.io/waive.{meta.id}: "<reason>; expires=YYYY-MM-DD"',
    ]
    return "\n".join(lines) + "\n"


def _adapter_rule(rule_id: str) -> Rule | None:
    """The image vulnerability rules, which run only with --trivy-report or --scan-images."""
    from govscan.scanner.adapters import images

    for level, meta in images.RULES.items():
        if meta.id == rule_id:
            doc = images.DOC.format(level=level.lower()) + "\n\nRuns with --trivy-report or --scan-images."
            return Rule(meta=meta, check=images.no_check, doc=doc, module=images.__name__)
    return None


def _tool_check(rule_id: str) -> str | None:
    """What govscan knows about a checkov or trivy check before the tool runs it."""
    from govscan.scanner.adapters import mapping

    tool, _, check_id = rule_id.partition(".")
    if tool not in mapping.NAMESPACES or not check_id:
        return None
    engine = "checkov" if tool == mapping.CHECKOV else "trivy-config"
    covers = mapping.COVERS.get(check_id)
    domain = mapping.domain_by_id(check_id)
    lines = [
        f"{rule_id}  ({tool} check, run with --engine {engine})",
        "",
        f"Title, severity and remediation come from {tool} when it runs. "
        + (f"Domain: {domain}." if domain else "Domain: decided by the check's title when it runs."),
        "Enforcement per tier follows the severity (docs/engines.md); override it under rules: in .govscan.yaml.",
    ]
    if covers:
        lines.append(f"Dropped where {', '.join(covers)} judged the same resource (same concern).")
    lines += ["", f'Waive: annotate the resource  govscan.io/waive.{rule_id}: "<reason>; expires=YYYY-MM-DD"']
    return "\n".join(lines) + "\n"


def render_markdown(rules: list[Rule] | None = None) -> str:
    rules = list(builtin_rules()) if rules is None else rules
    out = [
        "# govscan rules",
        "",
        "Generated by `govscan rules list --format markdown`; do not edit by hand (a test checks it is current).",
        "",
        "| rule | domain | severity | production | staging | qa | development | sandbox |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rules:
        out.append(
            f"| [`{r.id}`](#{r.id.replace('.', '')}) | {r.meta.domain} | {r.meta.severity.label} | "
            + " | ".join(_levels(r))
            + " |"
        )
    for r in rules:
        out += [
            "",
            f"## {r.id}",
            "",
            f"**{r.meta.title}** ({r.meta.domain}, {r.meta.severity.label})",
            "",
            r.doc,
            "",
            f"**Remediation:** {r.meta.remediation}",
        ]
        options = _options(r)
        if options:
            out += ["", "Options: " + ", ".join(f"`{k}` = `{json.dumps(v)}`" for k, v in options.items())]
    return "\n".join(out) + "\n"
