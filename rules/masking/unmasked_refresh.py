"""Refresh jobs that restore a database dump into non-production mask it in the same job.

The usual way production data leaks into QA is the nightly "refresh" CronJob: `pg_dump | psql`,
`pg_restore`, `click-odoo-restoredb`, a POST to `/web/database/restore`, or an `aws s3 cp` of the
latest dump, with no step that scrubs customer names, e-mails, IBANs and API keys, and no step
that neutralises Odoo (outgoing mail servers, payment acquirers, crons). A Job or CronJob in
non-production whose commands restore a dump passes when the same pod also masks it: a container
or init container whose name or image says so (mask, anonymi[sz]e, neutrali[sz]e, scrub,
sanitize, pseudonymi[sz]e), a script that runs `odoo neutralize` / PostgreSQL Anonymizer, an image
listed in `masking_images`, or the annotation `govscan.io/masking-step` naming the step.

Enforcement: off in production (restores there are disaster recovery). Staging warns (it may
hold a sanctioned mirror behind production-grade access); QA, development and sandbox block,
for the reasons given in data-masking.production-source.

Passes (qa)::

    initContainers:
      - {name: restore, command: [sh, -c, "pg_restore -d odoo /dumps/latest.dump"]}
    containers:
      - {name: neutralize, command: [odoo, neutralize, -d, odoo]}

Fails (qa)::

    containers:
      - {name: restore, command: [sh, -c, "pg_restore -d odoo /dumps/latest.dump"]}
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from govscan.rules._lib.images import image_matches, parse_image
from govscan.rules._lib.masking import MASKING_STEP_ANNOTATION, annotations_of
from govscan.rules._lib.workloads import Container, containers, pod_spec
from govscan.scanner.context import Context
from govscan.scanner.model import TIER, Resource, RuleMeta, Severity, Tier, Violation, enforcement_table

_DUMP = r"[^\n;&|]*(?:dump|backup|\.sql|\.bak|\.tar|\.gz|\.zip|\.zst)"
RESTORE_PATTERNS = (
    ("pg_restore", re.compile(r"\bpg_restore\b")),
    ("psql -f", re.compile(r"\bpsql\b[^\n;&|]*(?:\s-f\s*\S|\s--file[= ]\S|\s<\s*\S)")),
    ("a pipe into psql", re.compile(r"\|\s*(?:\S*/)?psql\b")),
    ("mysql < dump", re.compile(r"\bmysql\b[^\n;&|]*\s<\s*\S|\|\s*mysql\b")),
    ("click-odoo-restoredb", re.compile(r"\bclick-odoo-restoredb\b")),
    ("odoo db load", re.compile(r"\bodoo(?:-bin)?\b[^\n;&|]*\bdb\s+load\b")),
    ("/web/database/restore", re.compile(r"/web/database/restore\b")),
    ("a copy of a dump", re.compile(r"\b(?:aws\s+s3\s+(?:cp|sync)|gsutil\s+(?:-m\s+)?cp|mc\s+cp|rclone\s+(?:copy|sync)|s3cmd\s+get|az\s+storage\s+blob\s+download)\b" + _DUMP, re.IGNORECASE)),
)  # fmt: skip
MASKING_NAME = re.compile(r"mask|anonymi[sz]|neutrali[sz]|scrub|saniti[sz]|pseudonymi[sz]|obfuscat", re.IGNORECASE)
MASKING_SCRIPT = re.compile(r"\bneutrali[sz]e\b|\banon\.anonymi[sz]e|\bpg_anonymi[sz]e|\banonymi[sz]e", re.IGNORECASE)


@dataclass(frozen=True)
class Options:
    masking_images: tuple[str, ...] = ()


RULE = RuleMeta(
    id="data-masking.unmasked-refresh",
    domain="data-masking",
    title="Refresh job restores a dump into non-production without masking it",
    severity=Severity.HIGH,
    enforcement=enforcement_table(production="off", staging="warn", qa="block", development="block", sandbox="block"),
    remediation="Add a masking step to the refresh job (an anonymiser init/sidecar container, or `odoo neutralize` "
    "plus your scrub SQL) and record it with the govscan.io/masking-step annotation.",
    kinds=("Job", "CronJob"),
    controls=("data: no unmasked production data outside production",),
    options=Options(),
    needs=(TIER,),
)


def _words(container: Container) -> list[tuple[str, str]]:
    """(pointer, text) of each command/args item."""
    found = []
    for key in ("command", "args"):
        items = container.body.get(key)
        for i, item in enumerate(items if isinstance(items, list) else ()):
            if isinstance(item, str):
                found.append((f"{container.pointer}/{key}/{i}", item))
    return found


def _masks(container: Container, options: Options) -> bool:
    image = parse_image(container.body.get("image"))
    if image is not None and (image_matches(image, options.masking_images) or MASKING_NAME.search(image.repository)):
        return True
    if MASKING_NAME.search(container.name):
        return True
    return any(MASKING_SCRIPT.search(text) for _, text in _words(container))


def check(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation]:
    if ctx.tier_of(resource) is Tier.PRODUCTION:
        return
    pod = pod_spec(resource, ctx)
    if pod is None:
        return
    if annotations_of(resource.body.get("metadata"), pod.metadata).get(MASKING_STEP_ANNOTATION, "").strip():
        return
    every = list(containers(resource, ctx))
    if any(_masks(c, options) for c in every):
        return
    for container in every:
        for pointer, text in _words(container):
            hit = next((label for label, pattern in RESTORE_PATTERNS if pattern.search(text)), None)
            if hit:
                yield Violation(
                    f"{container.label} restores a dump ({hit}) into {ctx.tier_of(resource).value} "
                    "and no container of the job masks it",
                    pointer,
                )
                break
