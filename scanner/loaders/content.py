"""Choose the loader by content, not by file name: a Terraform plan, a Pulumi preview or state, or
Kubernetes YAML/JSON (with Helm output). JSON that is none of these is skipped with the reason, or an
error when the file was named on the command line."""

from __future__ import annotations

import json

from govscan.scanner.errors import InputError
from govscan.scanner.loaders import k8s, pulumi, tfplan
from govscan.scanner.loaders.k8s import LoadResult
from govscan.scanner.loaders.nesting import flow_overflow, line_and_column
from govscan.scanner.loaders.tfsource import TerraformSource
from govscan.scanner.loaders.yamldoc import MAX_DEPTH
from govscan.scanner.model import Origin, Skipped

NEITHER = (
    "JSON that is not a Kubernetes object, a Terraform plan (`terraform show -json plan.out`) "
    "or a Pulumi preview (`pulumi preview --json`) / state (`pulumi stack export`)"
)


def load(
    text: str, path: str, origin: Origin = Origin.FILE, named: bool = False, tf_source: TerraformSource | None = None
) -> LoadResult:
    if text.lstrip()[:1] == "{":
        deep = flow_overflow(text, MAX_DEPTH, json_strings=True)
        if deep is not None:
            line, column = line_and_column(text, deep)
            return LoadResult([], [], [], [InputError(path, f"nesting deeper than {MAX_DEPTH} levels", line, column)])
        try:
            document = json.loads(text)
        except ValueError:
            document = None  # the YAML parser reports where it breaks
        except RecursionError:  # json.loads stops near 1,000 levels; the bound above is exact only for valid JSON
            return LoadResult([], [], [], [InputError(path, f"nesting deeper than {MAX_DEPTH} levels", 1, 1)])
        if tfplan.is_plan(document):
            return tfplan.load_plan(document, text, path, tf_source)
        if pulumi.is_pulumi(document):
            return pulumi.load_pulumi(document, text, path)
        if isinstance(document, dict) and not (document.get("apiVersion") and document.get("kind")):
            if named:
                return LoadResult([], [], [], [InputError(path, NEITHER, 1, 1)])
            return LoadResult([], [Skipped(path, 1, NEITHER)], [], [])
    return k8s.load_text(text, path, origin)
