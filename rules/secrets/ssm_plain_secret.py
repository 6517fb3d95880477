"""SSM parameters whose name or description says secret are SecureString.

A `String` or `StringList` parameter is stored unencrypted and returned in clear to anyone allowed
`ssm:GetParameter` (read-only roles included), shown in the console and logged by CloudTrail data
events; SecureString encrypts it under KMS and needs `kms:Decrypt` too. Flagged: an
aws_ssm_parameter whose name (`/erp/prod/db_password`, `odoo-admin-passwd`, `.../api_key`) or
description mentions a password, token, secret, credential or private/API key, and whose `type` is
not SecureString, or that uses `insecure_value`.

Passes::

    resource "aws_ssm_parameter" "odoo_admin" { name = "/erp/prod/odoo/admin_password", type = "SecureString" }

Fails::

    resource "aws_ssm_parameter" "odoo_admin" { name = "/erp/prod/odoo/admin_password", type = "String" }
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from govscan.rules._lib.cloud import CLOUD, action, get, pointer
from govscan.rules._lib.cloud_encryption import is_reference, ssm_secret_reason
from govscan.rules._lib.secrets import Detector
from govscan.scanner.context import Context
from govscan.scanner.model import Action, Resource, RuleMeta, Severity, Violation, enforcement_table


@dataclass(frozen=True)
class Options:
    extra_name_patterns: tuple[str, ...] = ()
    allowed_values: tuple[str, ...] = ()


RULE = RuleMeta(
    id="secrets.ssm-plain-secret",
    domain="secrets",
    title="SSM parameter holding a secret is not a SecureString",
    severity=Severity.HIGH,
    enforcement=enforcement_table(production="block", staging="block", qa="warn", development="warn", sandbox="info"),
    remediation='Set type = "SecureString" (optionally key_id = a customer-managed KMS key) and use value, not '
    "insecure_value; changing the type replaces the parameter, so re-enter the value from a secure source.",
    kinds=("aws_ssm_parameter",),
    platforms=CLOUD,
    controls=("security: secrets management", "encryption: data at rest"),
    options=Options(),
)


def check(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation]:
    if action(resource) is Action.DELETE:
        return
    reason = ssm_secret_reason(Detector(options.extra_name_patterns, options.allowed_values), resource)
    if reason is None:
        return
    value = resource.body.get("value")
    if isinstance(value, str) and is_reference(value):
        return  # holds the ARN of a secret, not the secret
    kind = get(resource, "type")
    if kind == "SecureString":
        return
    plain = " (insecure_value)" if resource.body.get("insecure_value") not in (None, "") else ""
    message = f"type is {kind or 'not set'}{plain}, yet the parameter's {reason} says it holds a secret"
    yield Violation(message, pointer("type") if "type" in resource.body else "")
