"""`.govscan.yaml`: tier mapping, per-rule enforcement and options, waivers, profiles via `extends`,
and the release policy of `govscan gate` (`release:`, see release_policy.py).

Found by walking up from the first scanned path, or given with --config. Validated with jsonschema;
every problem is a one-line ConfigError naming the file, the line and the key.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, cast

from govscan.scanner.errors import ConfigError, InputError
from govscan.scanner.model import TIER_ALIASES, TIERS, Enforcement, RuleMeta, Tier
from govscan.scanner.release_policy import RELEASE_SCHEMA, Positions, ReleasePolicy, build_release_policy

CONFIG_NAMES = (".govscan.yaml", ".govscan.yml")
TIER_NAMES = [t.value for t in TIERS]
LEVELS = [e.label for e in Enforcement]

_enforcement = {
    "oneOf": [
        {"enum": LEVELS},
        {
            "type": "object",
            "propertyNames": {"enum": TIER_NAMES},
            "additionalProperties": {"enum": LEVELS},
        },
    ]
}
_pattern_map = {"type": "object", "additionalProperties": {"enum": TIER_NAMES}}
_names = {"type": "array", "items": {"type": "string", "minLength": 1}}
DRIFT_CHECKS = ("missing", "unmanaged", "modified", "hand-edit")

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "extends": {"type": "array", "items": {"type": "string"}},
        "default_tier": {"enum": TIER_NAMES},
        "tiers": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "namespaces": _pattern_map,
                "paths": _pattern_map,
                "addresses": _pattern_map,
                "tags": {"type": "array", "items": {"type": "string", "minLength": 1}},
                "aliases": {
                    "type": "object",
                    "description": "your own tier names (labels, tags, workspaces, stacks) -> tier",
                    "propertyNames": {"minLength": 1},
                    "additionalProperties": {"enum": TIER_NAMES},
                },
            },
        },
        "rules": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "enabled": {"type": "boolean"},
                    "enforcement": _enforcement,
                    "options": {"type": "object"},
                },
            },
        },
        "waivers": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["rule", "resource"],
                "properties": {  # owner, reason and expiry are judged per waiver: a bad one is a finding
                    "rule": {"type": "string", "minLength": 1},
                    "resource": {"type": "string", "minLength": 1},
                    "owner": {},
                    "reason": {},
                    "expires": {},
                },
            },
        },
        "waiver_policy": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "forbid_annotation_waivers_in": {"type": "array", "items": {"enum": TIER_NAMES}},
                "max_days": {"type": "integer", "minimum": 1},
            },
        },
        "workloads": {
            "type": "object",
            "description": "extra workload kinds: 'group/Kind' or 'Kind' -> dotted path of the pod spec",
            "additionalProperties": {"type": "string", "pattern": r"^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$"},
        },
        "settings": {"type": "object"},
        "drift": {
            "type": "object",
            "description": "govscan drift: governed namespaces, ignored objects and fields, enforcement per check",
            "additionalProperties": False,
            "properties": {
                "namespaces": _names,
                "kinds": _names,
                "ignore": _names,
                "ignore_fields": {"type": "array", "items": {"type": "string", "pattern": "^/"}},
                "enforcement": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {check: _enforcement for check in DRIFT_CHECKS},
                },
            },
        },
        "release": RELEASE_SCHEMA,
    },
}


@dataclass(frozen=True)
class ConfigWaiver:
    rule: str
    resource: str
    owner: str
    reason: str
    expires: dt.date | None
    origin: str = ""
    """`file:line` of the entry, for messages."""
    problem: str | None = None
    """Why the entry can never apply (no owner, reason or valid expiry); it is reported, not used."""
    path: str = ""
    line: int = 0

    def matches(self, rule_id: str, candidates: Iterable[str]) -> bool:
        return fnmatchcase(rule_id, self.rule) and any(fnmatchcase(c, self.resource) for c in candidates)


MIN_REASON = 3
"""Characters a waiver's reason needs (after trimming): "n/a" and blanks are not reasons."""


def waiver_problem(owner: Any, reason: Any, expires: Any) -> tuple[dt.date | None, str | None]:
    """A config waiver's expiry, and what makes it unusable (None when it is complete)."""
    if not isinstance(owner, str) or not owner.strip():
        return None, "it has no owner"
    if not isinstance(reason, str) or len(reason.strip()) < MIN_REASON:
        return None, "it has no reason"
    if expires is None:
        return None, "it has no expiry (expires: YYYY-MM-DD)"
    try:
        return dt.date.fromisoformat(str(expires).strip()), None
    except ValueError:
        return None, f"its expiry {str(expires)[:20]!r} is not a date (YYYY-MM-DD)"


@dataclass(frozen=True)
class RuleSettings:
    pattern: str
    enabled: bool | None = None
    enforcement: Mapping[Tier, Enforcement] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DriftSettings:
    """The `drift:` section: what `govscan drift` governs besides what the desired state touches."""

    namespaces: tuple[str, ...] = ()
    """Governed namespaces besides those the desired state touches (unmanaged objects are looked for there)."""
    kinds: tuple[str, ...] = ()
    """Kinds (`Kind` or `group/Kind`) looked at for unmanaged objects besides those Git and the rules name."""
    ignore: tuple[str, ...] = ()
    """Live objects never reported as unmanaged: globs on uid, Kind/name or namespace/Kind/name."""
    ignore_fields: tuple[str, ...] = ()
    """JSON pointer globs never reported as modified (`/metadata/annotations/*`)."""
    enforcement: Mapping[str, Mapping[Tier, Enforcement]] = field(default_factory=dict)
    """Per check (missing, unmanaged, modified, hand-edit): enforcement per tier over the defaults."""


DEFAULT_TIER_TAGS = ("govscan.io/tier", "Environment", "environment", "Env", "env", "Stage", "stage")
"""Tags that name the environment. Not `Tier`: AWS three-tier estates tag `Tier: web`, and a tier tag
naming no tier is an input error (fail closed), so it would stop their scans; add it under tiers.tags."""


@dataclass
class Config:
    path: str | None = None
    default_tier: Tier = Tier.PRODUCTION
    namespace_tiers: tuple[tuple[str, Tier], ...] = ()
    path_tiers: tuple[tuple[str, Tier], ...] = ()
    address_tiers: tuple[tuple[str, Tier], ...] = ()
    """Patterns on Terraform addresses (`module.prod_db.*`) and Pulumi URNs."""
    tier_tags: tuple[str, ...] = DEFAULT_TIER_TAGS
    """Cloud resource tags whose value names the tier, first found wins."""
    tier_aliases: Mapping[str, Tier] = field(default_factory=dict)
    """Lowercased names of your own (`prd-eu`, `sb`) -> tier, besides the built-in aliases."""
    rules: tuple[RuleSettings, ...] = ()
    waivers: tuple[ConfigWaiver, ...] = ()
    annotation_waivers_forbidden: frozenset[Tier] = frozenset({Tier.PRODUCTION})
    max_waiver_days: int | None = None
    pod_spec_paths: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    settings: Mapping[str, Any] = field(default_factory=dict)
    drift: DriftSettings = field(default_factory=DriftSettings)
    release: ReleasePolicy = field(default_factory=ReleasePolicy)
    """What `govscan gate` requires per release class and target tier, and freeze windows."""
    rule_origins: Mapping[str, str] = field(default_factory=dict)
    """`rules:` pattern -> `file:line` where it is set (the last file of an `extends` chain)."""
    _options_cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def _where(self, pattern: str | None = None) -> str:
        return self.rule_origins.get(pattern or "", "") or self.path or ".govscan.yaml"

    def _where_options(self, rule_id: str, key: str) -> str:
        """Where the entry setting `options.key` for `rule_id` is (the last matching one wins)."""
        found = [s.pattern for s in self._matching(rule_id) if key in s.options]
        return self._where(found[-1] if found else None)

    def _matching(self, rule_id: str) -> list[RuleSettings]:
        hits = [s for s in self.rules if fnmatchcase(rule_id, s.pattern)]
        # globs first (in file order), then the exact id, so the most specific entry wins
        return [s for s in hits if s.pattern != rule_id] + [s for s in hits if s.pattern == rule_id]

    def enforcement_for(self, meta: RuleMeta, tier: Tier) -> Enforcement:
        level = meta.enforcement.get(tier, Enforcement.OFF)
        for settings in self._matching(meta.id):
            if settings.enabled is False:
                level = Enforcement.OFF
            elif settings.enabled is True and level is Enforcement.OFF and not settings.enforcement:
                level = Enforcement.WARN
            level = settings.enforcement.get(tier, level)
        return level

    def options_for(self, meta: RuleMeta) -> Any:
        if meta.id in self._options_cache:
            return self._options_cache[meta.id]
        options = meta.options
        overrides: dict[str, Any] = {}
        for settings in self._matching(meta.id):
            overrides.update(settings.options)
        if overrides:
            if options is None or not dataclasses.is_dataclass(options):
                where = self._where(next(s.pattern for s in self._matching(meta.id) if s.options))
                raise ConfigError(where, f"rules.{meta.id}.options: this rule takes no options")
            names = {f.name for f in dataclasses.fields(options)}
            unknown = sorted(set(overrides) - names, key=str)
            if unknown:
                raise ConfigError(
                    self._where_options(meta.id, unknown[0]),
                    f"rules.{meta.id}.options.{unknown[0]}: unknown option (allowed: {', '.join(sorted(names))})",
                )
            for key, value in overrides.items():
                default = getattr(options, key)
                mismatch = _shape_mismatch(default, value, f"rules.{meta.id}.options.{key}")
                if mismatch:
                    raise ConfigError(self._where_options(meta.id, key), mismatch)
            options = dataclasses.replace(
                cast(Any, options), **{k: _coerce(getattr(options, k), v) for k, v in overrides.items()}
            )
        self._options_cache[meta.id] = options
        return options

    def check_rules(
        self, metas: Iterable[RuleMeta], unchecked_prefixes: tuple[str, ...] = (), also: Iterable[str] = ()
    ) -> None:
        """Fail closed: a rule pattern or waiver that names no known rule is an error, not a no-op.

        Patterns under `unchecked_prefixes` name rules this scan did not load (`policy.` without
        --policy: one config serves scans with and without the team's Rego policies). `also`: id globs
        of rules known only when they run (`checkov.*`, `trivy.*`); they take no options.
        """
        metas = list(metas)
        ids = [m.id for m in metas]
        also = list(also)

        def known(pattern: str) -> bool:
            return any(fnmatchcase(i, pattern) for i in ids) or self._open(pattern, also)

        for settings in self.rules:
            if settings.pattern.startswith(unchecked_prefixes) and unchecked_prefixes:
                continue
            if not known(settings.pattern):
                raise ConfigError(
                    self._where(settings.pattern), f"rules.{settings.pattern}: no such rule (see `govscan rules list`)"
                )
            if settings.options and not any(fnmatchcase(i, settings.pattern) for i in ids):
                raise ConfigError(
                    self._where(settings.pattern),
                    f"rules.{settings.pattern}.options: checkov and trivy checks take no options",
                )
        for waiver in self.waivers:
            if waiver.rule.startswith(unchecked_prefixes) and unchecked_prefixes:
                continue
            if not known(waiver.rule):
                raise ConfigError(
                    waiver.origin or self._where(),
                    f"waivers: rule {waiver.rule!r} matches no rule (see `govscan rules list`)",
                )
        for meta in metas:
            self.options_for(meta)

    @staticmethod
    def _open(pattern: str, globs: list[str]) -> bool:
        return any(fnmatchcase(pattern, g) or fnmatchcase(g, pattern) for g in globs)


def _type_name(value: Any) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string", dict: "a mapping"}.get(
        type(value), "a list" if isinstance(value, list | tuple | frozenset) else type(value).__name__
    )


def _same_shape(default: Any, value: Any) -> bool:
    if default is None:
        return True
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, int | float):
        return isinstance(value, int | float) and not isinstance(value, bool)
    if isinstance(default, str):
        return isinstance(value, str)
    if isinstance(default, tuple | list | frozenset):
        return isinstance(value, list)
    if isinstance(default, Mapping):
        return isinstance(value, dict)
    return True


def _shape_mismatch(default: Any, value: Any, name: str) -> str | None:
    """What is wrong with `value` given the option's default, down into mappings and lists
    (`min_replicas: {production: three}` is caught here, not as a rule crash mid-scan)."""
    if not _same_shape(default, value):
        return f"{name}: expected {_type_name(default)}, got {_type_name(value)}"
    if _names_tiers(default):  # `{production: 3, prodd: 1}` must not be a silent no-op
        for key in value:
            if _canonical_tier(key) is None:
                return f"{name}: {str(key)[:40]!r} is not a tier (use {', '.join(TIER_NAMES)} or an alias)"
    if isinstance(default, Mapping) and default and isinstance(value, dict):
        sample = next(iter(default.values()))
        for key, item in value.items():
            found = _shape_mismatch(default.get(key, sample), item, f"{name}.{key}")
            if found:
                return found
    if isinstance(default, tuple | list | frozenset) and default and isinstance(value, list):
        sample = next(iter(default))
        for i, item in enumerate(value):
            found = _shape_mismatch(sample, item, f"{name}[{i}]")
            if found:
                return found
    return None


def _names_tiers(default: Any) -> bool:
    """A mapping keyed by tier names, or a list of them: their keys / items must be tiers too."""
    if isinstance(default, Mapping | tuple | list | frozenset) and default:
        return all(isinstance(k, str) and k in TIER_NAMES for k in default)
    return False


def _canonical_tier(name: Any) -> str | None:
    try:
        return Tier.parse(str(name)).value
    except ValueError:
        return None


def _coerce(default: Any, value: Any) -> Any:
    if _names_tiers(default):  # aliases become tier names: rules compare with `tier.value`
        if isinstance(value, dict):
            value = {_canonical_tier(k): v for k, v in value.items()}
        else:
            value = [_canonical_tier(v) for v in value]
    if isinstance(default, tuple):
        return tuple(value)
    if isinstance(default, frozenset):
        return frozenset(value)
    return value


def find_config(start: Path) -> Path | None:
    """The nearest .govscan.yaml at or above `start`."""
    current = start.resolve()
    if current.is_file():
        current = current.parent
    for directory in (current, *current.parents):
        for name in CONFIG_NAMES:
            candidate = directory / name
            if candidate.is_file():
                return candidate
    return None


MAX_CONFIG_BYTES = 4 * 1024 * 1024
"""A config file bigger than this is a mistake (or an attack); the real ones are a few KiB."""
MAX_EXTENDS_DEPTH = 16
"""Profiles chained deeper than this are refused (they could only be a loop in disguise)."""


def _read_mapping(path: Path) -> tuple[dict[str, Any], Mapping[str, tuple[int, int]]]:
    from govscan.scanner.loaders.yamldoc import iter_documents

    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_CONFIG_BYTES + 1)
    except (OSError, ValueError) as exc:
        raise ConfigError(str(path), f"cannot read config: {getattr(exc, 'strerror', None) or exc}") from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError(str(path), f"config is over {MAX_CONFIG_BYTES // 1048576} MiB; is this the right file?")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ConfigError(str(path), f"not UTF-8 text (invalid byte at offset {exc.start})", line) from None
    try:
        docs = list(iter_documents(text.removeprefix("\ufeff"), str(path)))
    except InputError as exc:
        raise ConfigError(str(path), exc.problem, exc.line) from None
    if not docs:
        return {}, {}
    if len(docs) > 1:
        raise ConfigError(str(path), "config must be a single YAML document", docs[1].line)
    if not isinstance(docs[0].body, dict):
        raise ConfigError(str(path), "config must be a mapping of keys such as default_tier, tiers, rules, waivers")
    document = docs[0]
    if document.duplicate_keys:  # YAML keeps the last silently; in a policy file that hides a setting
        pointer, (line, _) = document.duplicate_keys[0]
        raise ConfigError(str(path), f"{_dotted(pointer)}: given twice; only one may stay", line)
    _check_keys(document.body, "", document.positions, path)
    return document.body, document.positions


def _dotted(pointer: str) -> str:
    return ".".join(t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:])


def _check_keys(value: Any, pointer: str, positions: Mapping[str, tuple[int, int]], path: Path) -> None:
    """Every mapping key is a string (`1: x` or `? [a, b]` is a mistake, not a setting)."""
    stack = [(value, pointer)]
    while stack:
        node, at = stack.pop()
        if isinstance(node, dict):
            for key, item in node.items():
                child = f"{at}/{key}"
                if not isinstance(key, str):
                    line = positions.get(child, positions.get(at, (None, None)))[0]
                    raise ConfigError(
                        str(path), f"{_dotted(child) or key}: keys must be text, not {_type_name(key)}", line
                    )
                stack.append((item, f"{at}/{key.replace('~', '~0').replace('/', '~1')}"))
        elif isinstance(node, list):
            stack.extend((item, f"{at}/{i}") for i, item in enumerate(node))


def _validate(data: dict[str, Any], positions: Mapping[str, tuple[int, int]], path: Path) -> None:
    import jsonschema

    validator = jsonschema.Draft202012Validator(SCHEMA)
    errors = sorted(validator.iter_errors(data), key=lambda e: (len(e.absolute_path), list(map(str, e.absolute_path))))
    if not errors:
        return
    error = jsonschema.exceptions.best_match(errors) or errors[0]
    keys = [str(k) for k in error.absolute_path]
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = error.schema.get("properties", {})
        unknown = sorted(k for k in error.instance if k not in allowed)
        if unknown:
            keys.append(unknown[0])
            pointer = "".join(f"/{k}" for k in keys)
            line = positions.get(pointer, (None, None))[0]
            hint = f" (allowed: {', '.join(sorted(allowed))})" if allowed else ""
            raise ConfigError(str(path), f"{'.'.join(keys)}: unknown key{hint}", line)
    pointer = "".join(f"/{k}" for k in keys)
    line = positions.get(pointer, (None, None))[0]
    message = error.message if len(error.message) < 160 else error.message[:157] + "..."
    if error.validator == "oneOf":
        message = f"expected one of {', '.join(LEVELS)} or a mapping of tier to level"
    raise ConfigError(str(path), f"{'.'.join(keys) or '(top level)'}: {message}", line)


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if key == "waivers":
            merged[key] = list(base.get(key, [])) + list(value)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _check_aliases(data: dict[str, Any], positions: Mapping[str, tuple[int, int]], path: Path) -> None:
    """`tiers.aliases` adds names; it may not move a tier name or a built-in alias to another tier."""
    for name, tier in ((data.get("tiers") or {}).get("aliases") or {}).items():
        key = name.strip().lower()
        fixed = key if key in TIER_NAMES else TIER_ALIASES.get(key)
        if fixed is not None and fixed != tier:
            line = positions.get(f"/tiers/aliases/{name.replace('~', '~0').replace('/', '~1')}", (None, None))[0]
            raise ConfigError(str(path), f"tiers.aliases.{name}: {name!r} already means {fixed}", line)


def _load_raw(
    path: Path,
    seen: tuple[Path, ...],
    where: dict[str, tuple[str, int]] | None = None,
    display: Callable[[Path], str] = str,
) -> tuple[dict[str, Any], dict[str, str]]:
    """The merged settings of `path` and its `extends` chain, and `rules:` pattern -> `file:line`."""
    resolved = path.resolve()
    if resolved in seen:
        chain = " -> ".join(p.name for p in (*seen, resolved))
        raise ConfigError(str(path), f"extends loops back on itself ({chain})")
    if len(seen) >= MAX_EXTENDS_DEPTH:
        raise ConfigError(str(path), f"extends chains more than {MAX_EXTENDS_DEPTH} files deep")
    data, positions = _read_mapping(path)
    _validate(data, positions, path)
    _check_aliases(data, positions, path)
    merged: dict[str, Any] = {}
    origins: dict[str, str] = {}
    for i, parent in enumerate(data.get("extends", [])):
        line = positions.get(f"/extends/{i}", positions.get("/extends", (None, None)))[0]
        try:
            parent_path = (path.parent / parent).resolve()
            found = parent_path.is_file()
        except (OSError, ValueError, RuntimeError):  # a NUL byte, a symlink loop
            found = False
        if not found:
            raise ConfigError(str(path), f"extends: {parent[:200]!r} is not a file", line)
        parent_data, parent_origins = _load_raw(parent_path, (*seen, resolved), where, display)
        merged = _merge(merged, parent_data)
        origins.update(parent_origins)
    if where is not None:  # release findings point at the line that set a requirement; this file wins
        where.update((p, (display(path), at[0])) for p, at in positions.items() if p.startswith("/release"))
    own = {k: v for k, v in data.items() if k != "extends"}
    if isinstance(own.get("waivers"), list):  # each entry remembers where it was written
        own["waivers"] = [
            {**item, ORIGIN_KEY: (display(path), positions.get(f"/waivers/{i}", (0, 0))[0])}
            for i, item in enumerate(own["waivers"])
        ]
    for pattern in own.get("rules") or {}:
        escaped = pattern.replace("~", "~0").replace("/", "~1")
        origins[pattern] = f"{display(path)}:{positions.get(f'/rules/{escaped}', (0, 0))[0]}"
    return _merge(merged, own), origins


ORIGIN_KEY = "\x00origin"
"""Set by the loader on each waiver entry (after validation): its (file, line)."""


def load_config(path: Path | None, display: Callable[[Path], str] = str) -> Config:
    """Read and validate a config file (None gives the built-in defaults); `display` names its files
    in Config.path and release findings (a file read from a git ref shows its repository path)."""
    if path is None:
        return Config()
    try:
        found = path.is_file()
    except (OSError, ValueError):
        found = False
    if not found:
        raise ConfigError(str(path), "config file not found")
    positions: dict[str, tuple[str, int]] = {}
    data, origins = _load_raw(path, (), positions, display)
    return dataclasses.replace(build_config(data, display(path), positions), rule_origins=origins)


def _enforcement_table(value: str | Mapping[str, str]) -> dict[Tier, Enforcement]:
    if isinstance(value, str):
        return {tier: Enforcement.parse(value) for tier in TIERS}
    return {Tier(t): Enforcement.parse(v) for t, v in value.items()}


def _drift_settings(data: Mapping[str, Any]) -> DriftSettings:
    return DriftSettings(
        namespaces=tuple(data.get("namespaces") or ()),
        kinds=tuple(data.get("kinds") or ()),
        ignore=tuple(data.get("ignore") or ()),
        ignore_fields=tuple(data.get("ignore_fields") or ()),
        enforcement={check: _enforcement_table(v) for check, v in (data.get("enforcement") or {}).items()},
    )


def build_config(data: Mapping[str, Any], where: str, positions: Positions | None = None) -> Config:
    rules = []
    for pattern, entry in (data.get("rules") or {}).items():
        table = _enforcement_table(entry.get("enforcement", {}))
        rules.append(RuleSettings(pattern, entry.get("enabled"), table, dict(entry.get("options") or {})))
    waivers = []
    for i, item in enumerate(data.get("waivers") or []):
        file, line = item.get(ORIGIN_KEY, (where, 0))
        expires, problem = waiver_problem(item.get("owner"), item.get("reason"), item.get("expires"))
        waivers.append(
            ConfigWaiver(
                item["rule"],
                item["resource"],
                str(item.get("owner") or ""),
                str(item.get("reason") or "").strip(),
                expires,
                f"{file}:{line}" if line else f"{file} waivers[{i}]",
                problem,
                file,
                line,
            )
        )
    policy = data.get("waiver_policy") or {}
    tiers = data.get("tiers") or {}
    forbidden = policy.get("forbid_annotation_waivers_in")
    return Config(
        path=where,
        default_tier=Tier(data.get("default_tier", Tier.PRODUCTION.value)),
        namespace_tiers=tuple((p, Tier(t)) for p, t in (tiers.get("namespaces") or {}).items()),
        path_tiers=tuple((p, Tier(t)) for p, t in (tiers.get("paths") or {}).items()),
        address_tiers=tuple((p, Tier(t)) for p, t in (tiers.get("addresses") or {}).items()),
        tier_tags=tuple(tiers.get("tags") or DEFAULT_TIER_TAGS),
        tier_aliases={k.strip().lower(): Tier(t) for k, t in (tiers.get("aliases") or {}).items()},
        rules=tuple(rules),
        waivers=tuple(waivers),
        annotation_waivers_forbidden=frozenset(Tier(t) for t in forbidden)
        if forbidden is not None
        else frozenset({Tier.PRODUCTION}),
        max_waiver_days=policy.get("max_days"),
        pod_spec_paths={k: tuple(v.split(".")) for k, v in (data.get("workloads") or {}).items()},
        settings=dict(data.get("settings") or {}),
        drift=_drift_settings(data.get("drift") or {}),
        release=build_release_policy(data.get("release"), positions or {}, where),
    )
