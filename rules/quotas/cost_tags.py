"""A taggable cloud resource carries an owner tag and a cost-centre tag.

Without them the monthly bill cannot be split by team or cost centre, and nobody can say whose
forgotten `erp-test` database is still running. The required tags are the `required` option: a
name for each, with the spellings that count (defaults: owner = Owner / Team, cost-centre =
CostCentre / CostCenter / CostCode). Keys match case-insensitively and ignoring `-`, `_`, spaces
and dots, and a prefix before `:` or `/` is ignored, so `Owner`, `owner`, `CostCenter`,
`cost-center`, `cost_centre` and `acme:cost-center` all count; an empty value does not.

Tags come from `tags` and `tags_all` (so provider `default_tags` count), auto scaling groups' `tag`
blocks, and Google `labels` / `effective_labels`. Only taggable resources are judged: in a
Terraform plan, those whose body has a `tags`, `tags_all` or (Google) `labels` attribute; in a
Pulumi preview, where unset inputs are absent, also the common taggable types listed in
`TAGGABLE`. Data sources never. A tag map known only after apply gives not-evaluated, unless the
tags the plan does know already satisfy the rule. Pulumi provider-level `defaultTags` are not
visible per resource: a stack relying on them gets findings.

Enforcement is warn in production and info elsewhere: a missing tag loses money attribution, not
data or availability, so it should be visible on every pull request without stopping a production
release (or a hotfix) the way a missing backup does.

Passes::

    tags = { Owner = "erp-team", CostCenter = "CC-4711" }

Fails::

    tags = { Name = "erp-prod-backups" }
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from govscan.rules._lib.cloud import CLOUD, STATEFUL_TYPES
from govscan.rules._lib.cloud_ha import is_deleted, is_unknown, subject
from govscan.scanner.context import Context
from govscan.scanner.model import Platform, Resource, RuleMeta, Severity, UnknownValue, Violation, enforcement_table

AWS_TAGS = ("tags", "tags_all", "tag")
GOOGLE_LABELS = ("labels", "effective_labels", "terraform_labels")

TAGGABLE = frozenset(
    {t for t in STATEFUL_TYPES if t.startswith("aws_")}
    | {
        "aws_instance", "aws_launch_template", "aws_autoscaling_group", "aws_eks_cluster", "aws_eks_node_group",
        "aws_lb", "aws_lb_target_group", "aws_vpc", "aws_subnet", "aws_security_group", "aws_nat_gateway",
        "aws_eip", "aws_internet_gateway", "aws_route_table", "aws_lambda_function", "aws_cloudwatch_log_group",
        "aws_sns_topic", "aws_sqs_queue", "aws_iam_role", "aws_iam_user", "aws_iam_policy", "aws_ecr_repository",
        "aws_ecs_cluster", "aws_ecs_service", "aws_cloudfront_distribution", "aws_acm_certificate",
        "aws_db_subnet_group", "aws_db_parameter_group", "aws_db_option_group", "aws_ssm_parameter",
        "google_storage_bucket", "google_compute_instance", "google_compute_disk", "google_redis_instance",
        "google_bigquery_dataset", "google_filestore_instance", "google_kms_crypto_key",
    }
)  # fmt: skip
"""Types judged in a Pulumi preview even when no tags input is set (Pulumi omits unset inputs)."""


@dataclass(frozen=True)
class Options:
    required: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: {
            "owner": ("Owner", "Team"),
            "cost-centre": ("CostCentre", "CostCenter", "CostCode"),
        }
    )


RULE = RuleMeta(
    id="quotas.cost-tags",
    domain="quotas",
    title="Cloud resource lacks owner or cost-centre tags",
    severity=Severity.LOW,
    enforcement=enforcement_table(production="warn", staging="info", qa="info", development="info", sandbox="info"),
    remediation='Add the tags to the resource (tags = { Owner = "erp-team", CostCenter = "CC-4711" }; labels on '
    "Google), or once for every resource through the AWS provider's default_tags block.",
    platforms=CLOUD,
    controls=("cost: allocation tags",),
    options=Options(),
)


@lru_cache(maxsize=4096)
def normalise(key: str) -> str:
    """`acme:Cost-Center` -> `costcenter`: lowercase, no separators, no namespace prefix."""
    last = re.split(r"[:/]", key)[-1]
    return re.sub(r"[^a-z0-9]", "", last.lower())


def _attributes(resource: Resource) -> tuple[str, ...] | None:
    """The tag attributes of a taggable resource; None when the resource is not taggable."""
    kind = resource.kind
    if kind.startswith("google_"):
        keys = GOOGLE_LABELS
    elif kind.startswith(("aws_", "azurerm_")):
        keys = AWS_TAGS
    else:
        return None  # data sources (`data.aws_ami`), providers, other providers' types
    if any(k in resource.body or is_unknown(resource, k) for k in keys):
        return keys
    return keys if resource.platform is Platform.PULUMI and kind in TAGGABLE else None


def _entries(value: Any) -> Iterator[tuple[str, Any]]:
    """(key, value) pairs of a tag map, or of a list of {key, value} blocks (auto scaling groups)."""
    if isinstance(value, dict):
        yield from ((str(k), v) for k, v in value.items())
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict) and item.get("key") is not None:
                yield str(item["key"]), item.get("value")


def present_keys(resource: Resource, attributes: Iterable[str]) -> set[str]:
    """Normalised keys with a non-empty value, or a value known only after apply."""
    found: set[str] = set()
    for attribute in attributes:
        for key, value in _entries(resource.body.get(attribute)):
            if (value is not None and str(value).strip()) or is_unknown(resource, attribute, key):
                found.add(normalise(key))
    unknown = resource.change.unknown if resource.change is not None else frozenset()
    for pointer in unknown:  # Terraform leaves unknown map entries out of `after`
        parts = pointer.split("/")
        if len(parts) == 3 and parts[1] in attributes:
            found.add(normalise(parts[2].replace("~1", "/").replace("~0", "~")))
    return found


def check(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation]:
    attributes = _attributes(resource)
    if attributes is None or is_deleted(resource):
        return
    present = present_keys(resource, attributes)
    label = "label" if attributes is GOOGLE_LABELS else "tag"
    missing = []
    for name, spellings in (options.required or {}).items():
        names = [spellings] if isinstance(spellings, str) else list(spellings or ()) or [name]
        if not any(normalise(str(s)) in present for s in names):
            missing.append(f"{name} {label} ({', '.join(str(s) for s in names)})")
    if not missing:
        return
    for attribute in attributes:
        if is_unknown(resource, attribute):
            raise UnknownValue(f"/{attribute}")
    where = next((f"/{a}" for a in attributes if resource.body.get(a) is not None), "")
    who = subject(resource, resource.kind, "bucket", "identifier", "name")
    yield Violation(f"{who} has no {' and no '.join(missing)}", where)
