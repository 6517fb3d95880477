"""IAM policy documents in Terraform plans and Pulumi previews: find them, parse them, ask what they allow.

Policies arrive as JSON strings (`policy`, `inline_policy[].policy`, Pulumi's `inline_policies[].policy`,
`assume_role_policy`); Pulumi may hand over the object itself, whose keys the preview loader has
turned into snake_case (`not_action`): both spellings are read. `Statement`, `Action`, `NotAction`,
`Resource` and `NotResource` may each be a single value or a list. Action names match
case-insensitively with `*` and `?` wildcards, as IAM matches them.

`documents(resource)` yields `(pointer, document)` for each policy the resource carries; the
document is None when the text is not a JSON object (the caller reports not-evaluated). Values known
only after apply raise UnknownValue through `cloud.get`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import lru_cache
from typing import Any

from govscan.rules._lib.cloud import config_address, get, pointer
from govscan.rules._lib.cloud_network import unset_computed_block
from govscan.scanner.context import Context
from govscan.scanner.model import Resource

POLICY_KINDS = ("aws_iam_policy", "aws_iam_role_policy", "aws_iam_user_policy", "aws_iam_group_policy")
"""Kinds whose `policy` attribute is an identity policy document."""

ADMINISTRATOR_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"

READ_ONLY_VERBS = ("get", "list", "describe", "head", "view", "read", "search", "query", "scan", "select",
                   "batchget", "lookup", "filter", "check", "validate", "estimate", "simulate")  # fmt: skip
"""Verb prefixes of actions that only read: `s3:Get*`, `ec2:Describe*`."""


@dataclass(frozen=True, slots=True)
class Statement:
    index: int
    effect: str
    actions: tuple[str, ...]
    not_actions: tuple[str, ...]
    resources: tuple[str, ...]
    not_resources: tuple[str, ...]
    has_condition: bool
    sid: str = ""

    @property
    def allow(self) -> bool:
        return self.effect.lower() == "allow"

    def grants(self, action: str) -> bool:
        """Whether the statement's Action / NotAction covers `action` (`iam:PassRole`)."""
        if self.not_actions:
            return not any(action_matches(p, action) for p in self.not_actions)
        return any(action_matches(p, action) for p in self.actions)

    @property
    def every_resource(self) -> bool:
        """Resource `*`, or a NotResource (everything except a list)."""
        return "*" in self.resources or bool(self.not_resources)


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(v for v in value if isinstance(v, str))
    return ()


def parse(value: Any) -> Mapping[str, Any] | None:
    """A policy document from a JSON string (or an object already parsed); None when it is not one."""
    if isinstance(value, Mapping):
        return value
    if not isinstance(value, str):
        return None
    return _parse_text(value)


@lru_cache(maxsize=256)
def _parse_text(value: str) -> Mapping[str, Any] | None:
    """Parsed once: several rules read the same policy (read-only)."""
    try:
        document = json.loads(value)
    except (ValueError, RecursionError):
        return None
    return document if isinstance(document, dict) else None


def _field(mapping: Mapping[str, Any], name: str) -> Any:
    """`NotAction` as IAM spells it, or as a Pulumi preview hands over an object policy (`not_action`)."""
    if name in mapping:
        return mapping[name]
    return mapping.get(_snake(name))


@lru_cache(maxsize=64)
def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z])([A-Z])", r"_\1", name).lower()


def statements(document: Mapping[str, Any]) -> list[Statement]:
    raw = _field(document, "Statement")
    items = [raw] if isinstance(raw, dict) else raw if isinstance(raw, list) else []
    found = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        found.append(
            Statement(
                index=index if isinstance(raw, list) else -1,
                effect=str(_field(item, "Effect") or ""),
                actions=_strings(_field(item, "Action")),
                not_actions=_strings(_field(item, "NotAction")),
                resources=_strings(_field(item, "Resource")),
                not_resources=_strings(_field(item, "NotResource")),
                has_condition=bool(_field(item, "Condition")),
                sid=sid if isinstance(sid := _field(item, "Sid"), str) else "",
            )
        )
    return found


def action_matches(pattern: str, action: str) -> bool:
    """IAM action matching: case-insensitive, `*` and `?` wildcards (`iam:Pass*` matches `iam:PassRole`)."""
    return fnmatchcase(action.lower(), pattern.lower())


def is_full_wildcard(action: str) -> bool:
    return action.strip() in ("*", "*:*")


def is_write_wildcard(action: str) -> bool:
    """A wildcarded action that reaches beyond reads: `s3:*`, `ec2:Delete*`, `iam:*Role` (not `s3:Get*`)."""
    if "*" not in action and "?" not in action:
        return False
    verb = action.split(":", 1)[-1].lower()
    reads_only = verb[:1] not in ("*", "?") and verb.startswith(READ_ONLY_VERBS)
    return not reads_only


def label(statement: Statement) -> str:
    """`statement 1 ("Filestore")`: its index in the document, and its Sid when it has one."""
    text = f"statement {max(statement.index, 0)}"
    return f'{text} ("{statement.sid}")' if statement.sid else text


def documents(resource: Resource) -> Iterator[tuple[str, Mapping[str, Any] | None]]:
    """(pointer, parsed document) of each identity policy the resource carries.

    `policy` on the policy kinds; each `inline_policy` (Terraform) / `inline_policies` (Pulumi) entry
    of an `aws_iam_role`. A document that is not a JSON object comes back as None.
    """
    if resource.kind == "aws_iam_role":
        for key in ("inline_policy", "inline_policies"):
            if unset_computed_block(resource, key):
                continue  # not configured inline; aws_iam_role_policy resources are judged themselves
            entries = get(resource, key)
            paths: list[tuple[str | int, ...]] = (
                [(key, i) for i in range(len(entries))] if isinstance(entries, list) else [(key,)] if entries else []
            )
            for path in paths:
                text = get(resource, *path, "policy")
                if text is not None and text != "":
                    yield pointer(*path, "policy"), parse(text)
        return
    text = get(resource, "policy")
    if text is not None:
        yield "/policy", parse(text)


def allow_statements(resource: Resource) -> Iterator[tuple[str, Statement | None]]:
    """(pointer, Allow statement) of every identity policy on the resource; (pointer, None) when a
    document cannot be read (not a JSON object, or no Statement list or object)."""
    for at, document in documents(resource):
        if document is None or not isinstance(_field(document, "Statement"), (list, dict)):
            yield at, None
            continue
        for statement in statements(document):
            if statement.allow:
                yield at, statement


def grants_everything(statement: Statement) -> bool:
    """Allow `*` (or `*:*`) on Resource `*`: administrator."""
    return statement.allow and statement.every_resource and any(is_full_wildcard(a) for a in statement.actions)


def policies_by_key(ctx: Context) -> dict[tuple[str, str], list[Resource]]:
    """The scan's `aws_iam_policy` resources by `(file, address or URN)` (references hold within one
    plan or preview) and by `("", ARN)`, built once."""

    def build() -> dict[tuple[str, str], list[Resource]]:
        index: dict[tuple[str, str], list[Resource]] = {}
        for policy in ctx.of_kind("aws_iam_policy"):
            keys = {(policy.source.path, policy.uid), (policy.source.path, config_address(policy))}
            arn = policy.body.get("arn")
            if isinstance(arn, str) and arn:
                keys.add(("", arn))
            for key in keys:
                index.setdefault(key, []).append(policy)
        return index

    return ctx.cached("cloud_iam.policies-by-key", build)


def attached_policies(ctx: Context, attachment: Resource) -> list[Resource]:
    """The `aws_iam_policy` resources an attachment refers to (a reference or dependency in the same
    plan or preview) or names by ARN."""
    index = policies_by_key(ctx)
    path = attachment.source.path
    keys = {(path, ref) for ref in attachment.change.references} if attachment.change is not None else set()
    arn = attachment.body.get("policy_arn")
    if isinstance(arn, str) and arn:
        keys.add(("", arn))
    found: dict[str, Resource] = {}
    for key in keys:
        for policy in index.get(key, ()):
            found[policy.uid] = policy
    return list(found.values())
