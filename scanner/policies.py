"""Rego policies with Conftest's contract, judged as govscan rules.

Sources: `--policy DIR` or a .rego file, or `git:REF:PATH` (read from a git ref with `git ls-tree`
and `git show`, no checkout, so a pull request cannot change the rules that judge it). Files named
`*_test.rego` are unit tests (`govscan policy test`), not loaded by a scan.

Every package matching a `--namespace` glob (default `main`) contributes its `deny`, `violation`
(block in every tier) and `warn` (warn) rules, `deny_<name>` variants included. A result is a
string or an object `{msg, id, domain, severity, remediation, path}`; `path` is a JSON pointer (or
a list of keys) into the resource, which gives the finding its line.

Rule ids: `policy.<package>.<id>` for each `id` the policy writes as a literal (in the rule head,
or in `result := {...}` for a head `deny contains result`), so govscan knows it before the scan:
config overrides, waivers and --rule can name it, and each resource gets a pass or a failure for
it. Results without a literal id are judged under `policy.<package>.<rule>` (`policy.main.deny`).
`exception` rules waive Conftest's way: a name `foo` waives `deny_foo` / `violation_foo`, the empty
name waives `deny` / `violation`, and (govscan's addition) a name equal to a result's id waives it;
the waiver is recorded as a `rego-exception` waiver.

Each resource is evaluated once: `input` is its body (sensitive plan values masked) and
`data.govscan` holds its tier, uid, kind, apiVersion, name, namespace, platform, path and action;
with --combine, also `resources`, every resource of the scan. The rules need the resource's tier,
so they run once every file is read (RuleMeta.needs), like the built-in cross-resource rules.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import json
import os
import re
import secrets
import shutil
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govscan.scanner.errors import UsageError
from govscan.scanner.model import (
    EVERYTHING,
    TIER,
    Platform,
    Resource,
    Rule,
    RuleMeta,
    Severity,
    Violation,
    Waiver,
    enforcement_table,
    pointer_join,
)
from govscan.scanner.rego import (
    UNDEFINED,
    EmbeddedRego,
    OpaServerRego,
    PolicyCompileError,
    PolicyModule,
    PolicyRuntimeError,
    RegoEngine,
    RuleDefinition,
    outline,
)

if TYPE_CHECKING:
    from govscan.scanner.context import Context
    from govscan.scanner.engine import ScanRequest

PREFIX = "policy."
JUDGING_RULE = re.compile(r"^(?P<kind>deny|violation|warn)(?:_(?P<name>[A-Za-z0-9_]+))?$")
EXCEPTION_RULE = "exception"
RESULT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
TEST_SUFFIX = "_test.rego"
OPA_TOKEN_ENV = "GOVSCAN_OPA_TOKEN"
ALL_PLATFORMS = (Platform.K8S, Platform.TERRAFORM, Platform.PULUMI)
BLOCK_EVERYWHERE = enforcement_table("block", "block", "block", "block", "block")
WARN_EVERYWHERE = enforcement_table("warn", "warn", "warn", "warn", "warn")


# --- reading policy files ---------------------------------------------------------------------------


def read_sources(specs: Iterable[str], cwd: Path, *, tests: bool = False) -> list[PolicyModule]:
    """The .rego modules named by --policy values (directories, files, git:REF:PATH), in a stable order."""
    modules: list[PolicyModule] = []
    for spec in specs:
        found = _from_git(spec, cwd, tests) if spec.startswith("git:") else _from_disk(spec, cwd, tests)
        if not found:
            what = ".rego files" if tests else ".rego files (other than *_test.rego)"
            raise UsageError(f"--policy {spec}: no {what} there")
        modules.extend(m for m in found if all(m.path != seen.path for seen in modules))
    return modules


def _wanted(name: str, tests: bool) -> bool:
    return name.endswith(".rego") and (tests or not name.endswith(TEST_SUFFIX))


def _from_disk(spec: str, cwd: Path, tests: bool) -> list[PolicyModule]:
    given = Path(spec)
    path = given if given.is_absolute() else cwd / given
    if path.is_file():
        files = [(path, given)]
    elif path.is_dir():
        files = [
            (found, given / found.relative_to(path))
            for found in sorted(path.rglob("*.rego"))
            if found.is_file()
            and _wanted(found.name, tests)
            and not any(part.startswith(".") for part in found.relative_to(path).parts)
        ]
    else:
        raise UsageError(f"--policy {spec}: no such file or directory")
    modules = []
    for real, shown in files:
        try:
            source = real.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"{shown.as_posix()}: cannot read policy: {exc}") from None
        modules.append(PolicyModule(shown.as_posix(), source))
    return modules


def _from_git(spec: str, cwd: Path, tests: bool) -> list[PolicyModule]:
    """git:REF:PATH, PATH from the repository root: the files as committed at REF, never the work tree.
    Read through gittree's plumbing (safe environment, no prompts), as `govscan gate` reads its trees."""
    from govscan.scanner.gittree import open_repository

    ref, sep, where = spec[len("git:") :].partition(":")
    if not sep or not ref or not where or ref.startswith("-"):
        raise UsageError(f"--policy {spec}: write git:REF:PATH, e.g. git:origin/main:policy")
    if shutil.which("git") is None:
        raise UsageError(f"--policy {spec}: git is not installed (apt-get install git)")
    try:
        repo = open_repository(cwd)
    except UsageError:
        raise UsageError(f"--policy {spec}: {cwd} is not inside a git repository") from None
    try:
        repo.run("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    except UsageError:
        raise UsageError(
            f"--policy {spec}: git ref {ref!r} not found (in CI, fetch it first: git fetch origin {ref.split('/')[-1]})"
        ) from None
    path = where.strip("/") or "."
    try:
        listed = repo.run("ls-tree", "-r", "-z", "--name-only", "--full-tree", ref, "--", path)
    except UsageError:
        listed = b""
    names = [n for n in listed.decode("utf-8", "replace").split("\0") if n]
    if not names:
        raise UsageError(f"--policy {spec}: {path} does not exist at {ref}")
    modules = []
    for name in sorted(n for n in names if _wanted(n.rsplit("/", 1)[-1], tests)):
        blob = repo.run("cat-file", "blob", f"{ref}:{name}")
        try:
            source = blob.decode("utf-8")
        except UnicodeDecodeError:
            raise UsageError(f"{ref}:{name}: cannot read policy: not UTF-8") from None
        modules.append(PolicyModule(f"{ref}:{name}", source))
    return modules


# --- which rules a scan runs, under which ids ------------------------------------------------------


@dataclass(frozen=True)
class PolicyRule:
    """One rule id: the results of Rego rule `rule` of `package` with literal id `result_id`
    (None: the rule's results that carry no literal id)."""

    id: str
    package: tuple[str, ...]
    rule: str
    result_id: str | None
    blocking: bool
    path: str
    line: int
    fields: Mapping[str, Any]
    siblings: frozenset[str] = frozenset()
    """Every literal result id of the same Rego rule (results with these belong to their own ids)."""

    @property
    def package_name(self) -> str:
        return ".".join(self.package)


def select_packages(definitions: Sequence[RuleDefinition], namespaces: Sequence[str]) -> list[str]:
    packages = sorted({d.package for d in definitions})
    chosen = [p for p in packages if any(fnmatchcase(p, glob) for glob in namespaces)]
    if not chosen:
        raise UsageError(
            f"--namespace {', '.join(namespaces)}: no policy package matches; packages found: "
            f"{', '.join(packages) or 'none'}"
        )
    return chosen


def policy_rules(definitions: Sequence[RuleDefinition], namespaces: Sequence[str]) -> list[PolicyRule]:
    """The rule ids of the chosen packages' deny / violation / warn rules; raises on an ambiguous id."""
    chosen = set(select_packages(definitions, namespaces))
    grouped: dict[tuple[str, str], list[RuleDefinition]] = {}
    for definition in definitions:
        if definition.package in chosen and not definition.function and JUDGING_RULE.match(definition.name):
            grouped.setdefault((definition.package, definition.name), []).append(definition)
    if not grouped:
        raise UsageError(
            f"policy packages {', '.join(sorted(chosen))} have no deny, violation or warn rules; nothing would be judged"
        )
    rules: list[PolicyRule] = []
    owners: dict[str, RuleDefinition] = {}
    for (package, name), group in sorted(grouped.items()):
        match = JUDGING_RULE.match(name)
        assert match is not None
        blocking = match.group("kind") != "warn"
        literal: dict[str, RuleDefinition] = {}
        unnamed: list[RuleDefinition] = []
        for definition in group:
            result_id = definition.fields.get("id")
            if isinstance(result_id, str) and result_id != name:  # `"id": "deny"` in deny: the rule's own id
                if not RESULT_ID.match(result_id):
                    raise PolicyCompileError(
                        definition.path, definition.line, f"result id {result_id!r}: use letters, digits, . _ -"
                    )
                literal.setdefault(result_id, definition)
            else:
                unnamed.append(definition)
        siblings = frozenset(literal)
        entries: list[tuple[str | None, RuleDefinition]] = sorted(literal.items())
        if unnamed or not literal:
            entries.append((None, unnamed[0] if unnamed else group[0]))
        for result_id, definition in entries:
            rule_id = f"{PREFIX}{package}.{result_id or name}"
            earlier = owners.get(rule_id)
            if earlier is not None and earlier.name != name:
                raise PolicyCompileError(
                    definition.path,
                    definition.line,
                    f"{rule_id} is given by both {earlier.name} ({earlier.path}:{earlier.line}) and {name}; "
                    "one id names one rule",
                )
            owners.setdefault(rule_id, definition)
            fields = definition.fields if result_id is not None else {}
            _check_severity(fields.get("severity"), definition)
            rules.append(
                PolicyRule(
                    rule_id,
                    tuple(package.split(".")),
                    name,
                    result_id,
                    blocking,
                    definition.path,
                    definition.line,
                    fields,
                    siblings,
                )
            )
    return rules


def _check_severity(value: Any, definition: RuleDefinition) -> None:
    if isinstance(value, str) and value.strip().upper() not in Severity.__members__:
        raise PolicyCompileError(
            definition.path, definition.line, f"severity {value!r}: use low, medium, high or critical"
        )


def _meta(rule: PolicyRule, combine: bool) -> RuleMeta:
    fields = rule.fields
    kind = "deny" if rule.blocking else "warn"
    default_severity = Severity.HIGH if rule.blocking else Severity.MEDIUM
    severity = fields.get("severity")
    where = f"{rule.path}:{rule.line}"
    return RuleMeta(
        id=rule.id,
        domain=_text(fields.get("domain")) or "policy",
        title=_text(fields.get("title")) or f"Rego {kind} rule {rule.rule} of package {rule.package_name}",
        severity=Severity.parse(severity) if isinstance(severity, str) else default_severity,
        enforcement=BLOCK_EVERYWHERE if rule.blocking else WARN_EVERYWHERE,
        remediation=_text(fields.get("remediation"))
        or f"Change the resource so that {rule.rule} in package {rule.package_name} ({where}) no longer reports it.",
        platforms=ALL_PLATFORMS,
        needs=(TIER, EVERYTHING) if combine else (TIER,),
    )


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


# --- evaluating ---------------------------------------------------------------------------------------


class PolicyResultError(Exception):
    """A rule returned something that is not a Conftest result (no msg, a path that is not a pointer)."""


@dataclass
class _Evaluated:
    """One resource's values of every judged rule and exception: JSON values, or the error."""

    values: dict[tuple[tuple[str, ...], str], Any] = field(default_factory=dict)


class PolicyRunner:
    """Evaluates all chosen rules for one resource in one query, through an entry module:

    `rN := v if { v := data.<package>.<rule> with data.govscan as ... with input as input.resource }`

    The same module runs on regorus and on OPA, so both give the same values. When the query
    fails, each rule is evaluated alone, so a runtime error is charged to the rule that raised it.
    """

    def __init__(
        self,
        engine: RegoEngine,
        modules: Sequence[PolicyModule],
        targets: Sequence[tuple[tuple[str, ...], str]],
        combine: bool,
    ) -> None:
        self.engine = engine
        self.modules = list(modules)
        self.targets = list(dict.fromkeys(targets))
        self.combine = combine
        run = secrets.token_hex(4)
        self.entry = ("govscan_entry", f"r{run}")
        self.scan_data = ("govscan_runs", f"r{run}")
        self._started = False
        self._last: tuple[tuple[str, str, int], _Evaluated] | None = None

    def entry_module(self) -> PolicyModule:
        from govscan.scanner.rego import data_ref

        scan_ref = data_ref([*self.scan_data, "resources"])
        lines = [f"package {'.'.join(self.entry)}", "", "import rego.v1", ""]
        for index, (package, rule) in enumerate(self.targets):
            rule_ref = data_ref([*package, rule])
            lines.append(f"r{index} := v if {{")
            if self.combine:
                lines.append(f'\tg := object.union(input.govscan, {{"resources": {scan_ref}}})')
            else:
                lines.append("\tg := input.govscan")
            lines.append(f"\tv := {rule_ref} with data.govscan as g with input as input.resource")
            lines.append("}")
            lines.append("")
        return PolicyModule(f"govscan-entry-{self.entry[1]}.rego", "\n".join(lines))

    def start(self, ctx: Context) -> None:
        """Load the modules (and, with --combine, the scan's resources) into the engine, once."""
        if self._started:
            return
        if self.combine:
            resources = sorted(ctx.everything(), key=lambda r: (r.uid, r.source.path, r.source.document))
            documents = [dict(govscan_data(r, ctx), body=_input_body(r)) for r in resources]
            self.engine.add_data(self.scan_data, json.loads(_json({"resources": documents})))
        self.engine.load([*self.modules, self.entry_module()])
        self._started = True

    def evaluate(self, resource: Resource, ctx: Context) -> _Evaluated:
        key = (resource.uid, resource.source.path, resource.source.document)
        if self._last is not None and self._last[0] == key:
            return self._last[1]
        if not self._started:
            self.start(ctx)
        input_json = _json({"resource": _input_body(resource), "govscan": govscan_data(resource, ctx)})
        evaluated = _Evaluated()
        try:
            values = self.engine.evaluate(self.entry, input_json)
            values = values if isinstance(values, dict) else {}
            for index, target in enumerate(self.targets):
                evaluated.values[target] = values.get(f"r{index}", UNDEFINED)
        except PolicyRuntimeError:
            for index, target in enumerate(self.targets):
                try:
                    evaluated.values[target] = self.engine.evaluate([*self.entry, f"r{index}"], input_json)
                except PolicyRuntimeError as exc:
                    evaluated.values[target] = exc
        self._last = (key, evaluated)
        return evaluated

    def close(self) -> None:
        self.engine.close()

    def __getstate__(self) -> dict[str, Any]:
        """Worker processes that only read files get the rules without the engine (they never evaluate)."""
        return {**self.__dict__, "engine": None, "_last": None}


def govscan_data(resource: Resource, ctx: Context) -> dict[str, Any]:
    """data.govscan for one resource: what the scan knows about it besides its body."""
    return {
        "tier": ctx.tier_of(resource).value,
        "uid": resource.uid,
        "kind": resource.kind,
        "apiVersion": resource.api_version,
        "name": resource.name,
        "namespace": resource.namespace,
        "platform": resource.platform.value,
        "path": resource.source.display_path,
        "action": resource.change.action.value if resource.change is not None else None,
    }


MASK = "***"


def _input_body(resource: Resource) -> Any:
    """The body, with values a plan marks sensitive masked: a policy message must not print them."""
    change = resource.change
    if change is None or not change.sensitive:
        return resource.body
    body = json.loads(_json(resource.body))
    for pointer in change.sensitive:
        _mask(body, [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]])
    return body


def _mask(node: Any, tokens: list[str]) -> None:
    if not tokens:
        return
    head, rest = tokens[0], tokens[1:]
    if isinstance(node, dict) and head in node:
        if rest:
            _mask(node[head], rest)
        else:
            node[head] = MASK
    elif isinstance(node, list) and head.isdigit() and int(head) < len(node):
        if rest:
            _mask(node[int(head)], rest)
        else:
            node[int(head)] = MASK


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def _json(value: Any) -> str:
    return json.dumps(value, default=_plain, separators=(",", ":"))


@dataclass(frozen=True)
class _Result:
    message: str
    pointer: str
    id: str | None
    fields: Mapping[str, Any]


def _results(value: Any, rule: str) -> list[_Result]:
    if value is UNDEFINED or value is None or value is False:
        return []
    items = value if isinstance(value, list) else [value]
    results = []
    for item in sorted(items, key=lambda i: json.dumps(i, sort_keys=True)):
        if isinstance(item, str):
            results.append(_Result(item, "", None, {}))
            continue
        if not isinstance(item, dict) or not isinstance(item.get("msg"), str):
            raise PolicyResultError(f"{rule} gave {json.dumps(item)[:80]}: a result is a string or an object with msg")
        result_id = item.get("id")
        if result_id is not None and not isinstance(result_id, str):
            raise PolicyResultError(f"{rule} gave id {json.dumps(result_id)[:40]}: an id is a string")
        results.append(_Result(item["msg"], _pointer(item.get("path"), rule), result_id, item))
    return results


def _pointer(path: Any, rule: str) -> str:
    if path is None or path == "":
        return ""
    if isinstance(path, str) and path.startswith("/"):
        return path
    if isinstance(path, list) and all(isinstance(t, str | int) and not isinstance(t, bool) for t in path):
        return pointer_join(*path)
    raise PolicyResultError(
        f"{rule} gave path {json.dumps(path)[:60]}: a path is a JSON pointer (/spec/replicas) or a list of keys"
    )


def _exception_names(value: Any, package: str) -> set[str]:
    """Conftest's exception: a set of lists of rule names (a bare string is accepted too)."""
    if value is UNDEFINED or value is None:
        return set()
    names: set[str] = set()
    for item in value if isinstance(value, list) else [value]:
        for name in item if isinstance(item, list) else [item]:
            if not isinstance(name, str):
                raise PolicyResultError(
                    f"exception in package {package} gave {json.dumps(name)[:40]}: names are strings"
                )
            names.add(name)
    return names


@dataclass(frozen=True)
class PolicyCheck:
    """The check function of one policy rule id (see module docstring for which results it takes)."""

    runner: PolicyRunner
    rule: PolicyRule
    meta: RuleMeta

    def __call__(self, resource: Resource, ctx: Context, options: Any) -> Iterator[Violation]:
        rule = self.rule
        evaluated = self.runner.evaluate(resource, ctx)
        value = evaluated.values.get((rule.package, rule.rule), UNDEFINED)
        if isinstance(value, Exception):
            raise value
        waived_names: set[str] = set()
        if rule.blocking:
            exceptions = evaluated.values.get((rule.package, EXCEPTION_RULE), UNDEFINED)
            if isinstance(exceptions, Exception):
                raise PolicyRuntimeError(f"exception in package {rule.package_name}: {exceptions}")
            waived_names = _exception_names(exceptions, rule.package_name)
        suffix = JUDGING_RULE.match(rule.rule)
        own_name = (suffix.group("name") or "") if suffix else rule.rule
        for result in _results(value, f"{rule.rule} in package {rule.package_name}"):
            if rule.result_id is not None and result.id != rule.result_id:
                continue
            if rule.result_id is None and result.id is not None and result.id in rule.siblings:
                continue
            message = result.message
            if result.id not in (None, rule.result_id, rule.rule):
                message = f"{message} [{result.id}]"  # an id known only at run time: shown, judged under the rule
            waiver = None
            hit = own_name in waived_names or (result.id is not None and result.id in waived_names)
            if hit:
                name = result.id if result.id in waived_names else own_name
                waiver = Waiver(rule.id, f"Rego exception {name!r} in package {rule.package_name}", "rego-exception")
            yield Violation(message, result.pointer, rule=self._own_meta(result), waiver=waiver)

    def _own_meta(self, result: _Result) -> RuleMeta | None:
        """The rule's metadata with what this result says of itself (domain, severity, remediation)."""
        changes: dict[str, Any] = {}
        domain, remediation, severity = (_text(result.fields.get(k)) for k in ("domain", "remediation", "severity"))
        if domain and domain != self.meta.domain:
            changes["domain"] = domain
        if remediation and remediation != self.meta.remediation:
            changes["remediation"] = remediation
        if severity:
            try:
                level = Severity.parse(severity)
            except KeyError:
                raise PolicyResultError(f"severity {severity!r}: use low, medium, high or critical") from None
            if level is not self.meta.severity:
                changes["severity"] = level
        if not changes:
            return None
        return dataclasses.replace(self.meta, **changes)


# --- what the engine asks for ---------------------------------------------------------------------------


@dataclass
class PolicySet:
    """The rules a scan runs for its Rego policies, and the engine that evaluates them."""

    rules: tuple[Rule, ...]
    runner: PolicyRunner

    def start(self, ctx: Context) -> None:
        self.runner.start(ctx)

    def close(self) -> None:
        self.runner.close()


def _engine(opa_url: str | None) -> RegoEngine:
    if opa_url:
        return OpaServerRego(opa_url, token=os.environ.get(OPA_TOKEN_ENV) or None)
    return EmbeddedRego()


def load_policies(request: ScanRequest) -> PolicySet:
    """Read, compile and outline the policies a scan asks for; raises UsageError (exit 2) on any problem."""
    cwd = request.policy_cwd or request.cwd or Path.cwd()
    engine = _engine(request.opa_url)
    try:
        if isinstance(engine, OpaServerRego):
            engine.check()
        if request.policies:
            modules = read_sources(request.policies, cwd)
        else:
            assert isinstance(engine, OpaServerRego)
            modules = engine.server_modules()
            if not modules:
                raise UsageError(f"--opa-url: {engine.url} has no policies; load some there or give --policy DIR")
        definitions = outline(modules)
        rules = policy_rules(definitions, request.namespaces)
        if not request.combine:
            _require_combine(modules, definitions, {r.package_name for r in rules})
    except BaseException:
        engine.close()
        raise
    exceptions = {(r.package, EXCEPTION_RULE) for r in rules if r.blocking} & {
        (tuple(d.package.split(".")), d.name) for d in definitions if d.name == EXCEPTION_RULE and not d.function
    }
    targets = sorted({(r.package, r.rule) for r in rules} | exceptions)
    runner = PolicyRunner(engine, modules, targets, request.combine)
    built = []
    for rule in rules:
        meta = _meta(rule, request.combine)
        kind = "deny" if rule.blocking else "warn"
        doc = (
            f"Rego {kind} rule `{rule.rule}` of package `{rule.package_name}` ({rule.path}:{rule.line})"
            + (f", results with id `{rule.result_id}`" if rule.result_id else "")
            + ", loaded with --policy."
        )
        built.append(Rule(meta=meta, check=PolicyCheck(runner, rule, meta), doc=doc, module=rule.path))
    return PolicySet(tuple(built), runner)


def _require_combine(modules: Sequence[PolicyModule], definitions: Sequence[RuleDefinition], chosen: set[str]) -> None:
    """Without --combine, data.govscan.resources is undefined: a cross-resource rule would judge an empty scan."""
    packages = {d.path: d.package for d in definitions}
    for module in modules:
        if packages.get(module.path) in chosen and "data.govscan.resources" in module.source:
            raise UsageError(
                f"{module.path} reads data.govscan.resources, which only --combine provides; add --combine"
            )


# --- govscan policy test ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TestOutcome:
    """One test_ rule: passed (true), failed (false or undefined) or errored."""

    package: str
    name: str
    path: str
    line: int
    status: str  # "pass" | "fail" | "error"
    message: str = ""


def run_policy_tests(specs: Sequence[str], cwd: Path) -> list[TestOutcome]:
    """Run every `test_*` rule of the modules (tests included), like `conftest verify`."""
    modules = read_sources(specs, cwd, tests=True)
    definitions = outline(modules)
    seen: dict[tuple[str, str], RuleDefinition] = {}
    for definition in definitions:
        if definition.name.startswith("test_") and not definition.function:
            seen.setdefault((definition.package, definition.name), definition)
    if not seen:
        raise UsageError(f"no test_ rules in {', '.join(specs)} (tests live in *_test.rego files)")
    engine = EmbeddedRego()
    engine.load(modules)
    outcomes = []
    for (package, name), definition in sorted(seen.items(), key=lambda item: (item[1].path, item[1].line)):
        try:
            value = engine.evaluate([*package.split("."), name], None)  # no input, as `opa test` and Conftest
        except PolicyRuntimeError as exc:
            outcomes.append(TestOutcome(package, name, definition.path, definition.line, "error", str(exc)))
            continue
        status = "pass" if value is True else "fail"
        detail = "" if status == "pass" else ("undefined" if value is UNDEFINED else json.dumps(value)[:80])
        outcomes.append(TestOutcome(package, name, definition.path, definition.line, status, detail))
    return outcomes
