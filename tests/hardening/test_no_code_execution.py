"""No code execution from inputs: safe YAML loaders only; no eval, exec, pickle of input, shell or
templating; Helm, Terraform, kustomize and Pulumi are never run on the scanned tree."""

from __future__ import annotations

import ast
import json
import os
import stat
from pathlib import Path

import pytest
from hardening import HOSTILE, ROOT, govscan, one_line_error, scan_here, tool_findings

SHIPPED = ("scanner", "rules", "reporters", "benchmarks")
SAFE_LOADERS = {"yaml.SafeLoader", "yaml.CSafeLoader", "SafeLoader", "CSafeLoader", "_Loader"}
UNSAFE_YAML = {"Loader", "UnsafeLoader", "FullLoader", "CLoader", "CUnsafeLoader", "CFullLoader"}
TOOLS = {"helm", "terraform", "tofu", "kustomize", "pulumi", "kubectl", "sh", "bash"}
TEMPLATING = {"jinja2", "mako", "chevron", "pystache"}


def problems_in(source: str, name: str) -> list[str]:
    """What in `source` could run code taken from an input (by AST: comments and strings don't count)."""
    tree = ast.parse(source, name)
    assigned = {
        node.targets[0].id: ast.unparse(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
    }
    found = []
    for node in ast.walk(tree):
        where = f"{name}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Import | ast.ImportFrom):
            modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            if any(m.split(".")[0] in TEMPLATING for m in modules):
                found.append(f"{where}: templating engine imported")
            if (
                isinstance(node, ast.ImportFrom)
                and node.module == "string"
                and any(a.name == "Template" for a in node.names)
            ):
                found.append(f"{where}: string.Template imported")
        if isinstance(node, ast.Attribute) and ast.unparse(node) in {f"yaml.{n}" for n in UNSAFE_YAML}:
            found.append(f"{where}: unsafe YAML loader {ast.unparse(node)}")
        if not isinstance(node, ast.Call):
            continue
        function = ast.unparse(node.func)
        if function in {"eval", "exec", "compile", "__import__", "breakpoint"}:
            found.append(f"{where}: {function}()")
        if function in {"pickle.loads", "pickle.load", "marshal.loads", "marshal.load", "shelve.open", "dill.loads"}:
            found.append(f"{where}: {function}()")
        if function in {"yaml.unsafe_load", "yaml.unsafe_load_all", "yaml.full_load", "yaml.full_load_all"}:
            found.append(f"{where}: {function}()")
        if function in {"yaml.load", "yaml.load_all"}:
            loader = next(
                (k.value for k in node.keywords if k.arg == "Loader"), node.args[1] if len(node.args) > 1 else None
            )
            text = ast.unparse(loader) if loader is not None else ""
            if assigned.get(text, text) not in SAFE_LOADERS:
                found.append(f"{where}: {function}() without SafeLoader/CSafeLoader")
        if function.startswith("os.") and function.split(".")[1] in {"system", "popen"} | {
            f"{p}{s}" for p in ("exec", "spawn") for s in ("l", "le", "lp", "lpe", "v", "ve", "vp", "vpe")
        }:
            found.append(f"{where}: {function}()")
        if any(
            k.arg == "shell" and not (isinstance(k.value, ast.Constant) and k.value.value is False)
            for k in node.keywords
        ):
            found.append(f"{where}: {function}(shell=...)")
        if function.startswith("subprocess.") and node.args and isinstance(node.args[0], ast.List | ast.Tuple):
            first = node.args[0].elts[0] if node.args[0].elts else None
            if isinstance(first, ast.Constant) and str(first.value) in TOOLS:
                found.append(f"{where}: runs {first.value}")
    return found


def test_the_checker_catches_what_it_looks_for() -> None:
    bad = (
        "import yaml, pickle, os, subprocess\nfrom jinja2 import Template\n"
        "yaml.load(text)\nyaml.load(text, Loader=yaml.Loader)\nyaml.unsafe_load(text)\n"
        "pickle.loads(data)\neval(expr)\nexec(code)\nos.system(cmd)\n"
        "subprocess.run(cmd, shell=True)\nsubprocess.run(['helm', 'template', '.'])\n"
    )
    assert len(problems_in(bad, "bad.py")) == 11
    good = (
        "import yaml\nloader = yaml.CSafeLoader\nyaml.load(text, Loader=yaml.SafeLoader)\n"
        "yaml.load_all(text, Loader=loader)\nre.compile('x')\nx = 'eval(' # eval(\n"
    )
    assert problems_in(good, "good.py") == []


def test_shipped_code_never_evaluates_unpickles_shells_out_or_loads_yaml_unsafely() -> None:
    found = []
    for folder in SHIPPED:
        for path in sorted((ROOT / folder).rglob("*.py")):
            found += problems_in(path.read_text(encoding="utf-8"), path.relative_to(ROOT).as_posix())
    assert found == []


def test_helm_terraform_kustomize_and_pulumi_are_never_run_on_the_scanned_tree(tmp_path: Path) -> None:
    tools = tmp_path / "bin"
    tools.mkdir()
    ran = tmp_path / "ran"
    for tool in sorted(TOOLS - {"sh", "bash"}):
        script = tools / tool
        script.write_text(f"#!/bin/sh\necho {tool} >> {ran}\n")
        script.chmod(script.stat().st_mode | stat.S_IXUSR)
    tree = tmp_path / "repo"
    (tree / "chart" / "templates").mkdir(parents=True)
    (tree / "chart" / "Chart.yaml").write_text("apiVersion: v2\nname: erp\nversion: 1.0.0\n")
    (tree / "chart" / "values.yaml").write_text("image: odoo:17.0\nreplicas: 1\n")
    (tree / "chart" / "templates" / "deployment.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n"
        'spec:\n  replicas: {{ .Values.replicas }}\n{{- include "lookup" (lookup "v1" "Secret" "" "") }}\n'
    )
    (tree / "overlay").mkdir()
    (tree / "overlay" / "kustomization.yaml").write_text("resources: [../chart]\nhelmCharts: [{name: erp}]\n")
    (tree / "infra").mkdir()
    (tree / "infra" / "main.tf").write_text('resource "aws_s3_bucket" "b" {\n  bucket = "x"\n}\n')
    (tree / "Pulumi.yaml").write_text("name: erp\nruntime: python\n")
    (tree / "plan.json").write_text(
        '{"format_version": "1.2", "resource_changes": [{"address": "aws_s3_bucket.b", "mode": "managed",'
        ' "type": "aws_s3_bucket", "name": "b", "change": {"actions": ["create"], "after": {"bucket": "x"}}}]}'
    )
    (tree / "python-tag.yaml").write_text(
        (HOSTILE / "python-tag.yaml").read_text().replace("/tmp/govscan-pwned", str(ran))
    )
    env = {"PATH": f"{tools}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = govscan("scan", ".", "--no-config", "-q", "--tf-root", "infra", "-f", "json", cwd=tree, env=env)
    assert result.returncode == 2  # the raw chart template and the python tag are input errors
    assert not ran.exists(), ran.read_text()
    messages = {
        f["location"]["file"]: f["message"]
        for f in json.loads(result.stdout)["findings"]
        if f["rule_id"] == "govscan.input-error"
    }
    assert messages["python-tag.yaml"] == "unsupported tag !!python/object/apply:os.system on a collection"
    assert messages["chart/templates/deployment.yaml"].startswith("malformed YAML: ")


@pytest.mark.parametrize(
    ("tag", "message"),
    [
        ("!!python/object/apply:os.system", "unsupported tag !!python/object/apply:os.system on a collection"),
        ("!!python/object/new:os.system", "unsupported tag !!python/object/new:os.system on a collection"),
        ("!!python/name:os.system", "value cannot be read as !!python/name:os.system (malformed, over-long or an unsupported tag)"),
    ],
)  # fmt: skip
def test_python_tags_never_construct_objects(tmp_path: Path, tag: str, message: str) -> None:
    marker = tmp_path / "pwned"
    value = f'["touch {marker}"]' if "name:" not in tag else ""
    (tmp_path / "x.yaml").write_text(
        f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: x}}\ndata:\n  a: {tag} {value}\n"
    )
    report = scan_here(tmp_path, "x.yaml")
    assert tool_findings(report) == [("govscan.input-error", "x.yaml", 5, 6, message)]
    assert not marker.exists()


def test_names_from_inputs_cannot_forge_lines_in_a_ci_log(tmp_path: Path) -> None:
    """A file named with a newline and a resource named with a workflow command and escapes, in the
    table, the github format's log lines and stderr: every line govscan prints is its own."""
    (tmp_path / "ok.yaml\n::error file=x::forged.yaml").write_text((HOSTILE / "forged-log-lines.json").read_text())
    (tmp_path / "bad\n::add-mask::x.yaml").write_text("apiVersion: v1\nkind: [\n")
    shown = {
        "table": "ok.yaml\\n::error file=x::forged.yaml",
        "github": "file=ok.yaml%0A%3A%3Aerror file=x%3A%3Aforged.yaml",
    }
    for fmt in ("table", "github"):
        result = govscan("scan", ".", "--no-config", "-q", "-r", "ha.replicas", "-f", fmt, cwd=tmp_path)
        assert result.returncode == 2
        for line in (result.stdout + result.stderr).splitlines():
            assert not line.lstrip().startswith("::") or line.startswith(("::error file=", "::warning", "::notice")), (
                line
            )
            assert "\x1b" not in line and "\u202e" not in line, line
        assert shown[fmt] in result.stdout, fmt
    assert one_line_error(result).startswith("bad\\n::add-mask::x.yaml:3: malformed YAML")
