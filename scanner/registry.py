"""Rule discovery: walk the govscan.rules package; each module with a RULE and a check() is a rule.

No registration by import side effects: a rule exists because its module exists.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterable
from functools import cache

from govscan.scanner.errors import UsageError
from govscan.scanner.model import Rule, RuleMeta

RULE_ID = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9][a-z0-9-]*$")
RULES_PACKAGE = "govscan.rules"


class RuleDefinitionError(Exception):
    """A built-in rule module is malformed (a bug in govscan, caught by the meta-tests)."""


@cache
def builtin_rules() -> tuple[Rule, ...]:
    package = importlib.import_module(RULES_PACKAGE)
    found: list[Rule] = []
    for info in pkgutil.walk_packages(package.__path__, RULES_PACKAGE + "."):
        leaf = info.name.rsplit(".", 1)[1]
        if leaf.startswith("_") or info.ispkg:
            continue
        module = importlib.import_module(info.name)
        meta = getattr(module, "RULE", None)
        check = getattr(module, "check", None)
        if meta is None and check is None:
            continue
        if not isinstance(meta, RuleMeta) or not callable(check):
            raise RuleDefinitionError(f"{info.name}: a rule module needs RULE = RuleMeta(...) and check()")
        found.append(Rule(meta=meta, check=check, doc=(module.__doc__ or "").strip(), module=info.name))
    rules = tuple(sorted(found, key=lambda r: r.id))
    ids = [r.id for r in rules]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise RuleDefinitionError(f"duplicate rule ids: {', '.join(sorted(duplicates))}")
    return rules


def rule_by_id(rule_id: str, rules: Iterable[Rule] | None = None) -> Rule:
    for rule in rules if rules is not None else builtin_rules():
        if rule.id == rule_id:
            return rule
    raise UsageError(f"unknown rule {rule_id!r}; `govscan rules list` shows every rule id")


def domains(rules: Iterable[Rule] | None = None) -> list[str]:
    return sorted({r.meta.domain for r in (rules if rules is not None else builtin_rules())})
