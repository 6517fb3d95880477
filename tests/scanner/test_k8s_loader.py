"""The Kubernetes loader: documents, List items, Helm sources, and exact positions."""

from __future__ import annotations

from pathlib import Path

import pytest

from govscan.scanner.errors import InputError
from govscan.scanner.loaders import k8s
from govscan.scanner.loaders.yamldoc import iter_documents


def test_positions_point_at_keys_and_items() -> None:
    text = (
        "apiVersion: apps/v1\n"
        "kind: Deployment\n"
        "metadata:\n"
        "  name: web\n"
        "spec:\n"
        "  template:\n"
        "    spec:\n"
        "      containers:\n"
        "        - name: app\n"
        "          image: nginx\n"
        "        - name: side\n"
        "          image: busybox\n"
    )
    [doc] = list(iter_documents(text, "x.yaml"))
    assert doc.positions["/metadata/name"] == (4, 3)
    assert doc.positions["/spec/template/spec/containers/0"] == (9, 11)
    assert doc.positions["/spec/template/spec/containers/1/image"] == (12, 11)


def test_missing_field_locates_nearest_parent() -> None:
    text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: a\n    image: x\n"
    [resource] = k8s.load_text(text, "p.yaml").resources
    assert resource.source.locate("/spec/containers/0/securityContext/privileged") == (7, 5)
    assert resource.source.locate("/nope") == (1, 1)


def test_multi_document_lines_hold_deep_into_a_big_file(corpus: Path) -> None:
    """Every resource's /metadata/name line really holds `name: <name>`, for all documents of big files."""
    files = [
        corpus / "k8s-real/argo-cd/install.yaml",
        corpus / "k8s-real/kubeflow-upstream/cert-manager-release.yaml",
        corpus / "k8s-real/kubeflow-upstream/knative-serving-core.yaml",
        corpus / "k8s-real/kubeflow-upstream/spark-operator-helm-rendered.yaml",
    ]
    checked = 0
    biggest = 0
    for path in files:
        if not path.exists():
            continue
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        result = k8s.load_text(text, str(path))
        assert not result.errors
        biggest = max(biggest, len(result.resources))
        for resource in result.resources:
            line, column = resource.source.locate("/metadata/name")
            source_line = lines[line - 1]
            assert source_line[column - 1 :].startswith("name:"), (path.name, resource.uid, line, source_line)
            assert resource.name in source_line
            kind_line, _ = resource.source.locate("/kind")
            assert lines[kind_line - 1].strip().startswith("kind:")
            checked += 1
    assert checked > 100
    assert biggest > 40


def test_list_kind_items_become_resources_with_their_own_positions() -> None:
    text = (
        "apiVersion: v1\n"
        "kind: List\n"
        "items:\n"
        "- apiVersion: v1\n"
        "  kind: Service\n"
        "  metadata:\n"
        "    name: a\n"
        "- apiVersion: v1\n"
        "  kind: ConfigMap\n"
        "  metadata:\n"
        "    name: b\n"
        "  data:\n"
        "    k: v\n"
    )
    result = k8s.load_text(text, "list.yaml")
    assert [r.uid for r in result.resources] == ["core/Service/-/a", "core/ConfigMap/-/b"]
    assert result.resources[1].source.locate("/data/k") == (13, 5)
    assert result.resources[1].source.locate("/metadata/name") == (11, 5)


def test_helm_source_comments_name_each_documents_template() -> None:
    text = (
        "---\n"
        "# Source: erp/templates/service.yaml\n"
        "apiVersion: v1\n"
        "kind: Service\n"
        "metadata:\n"
        "  name: odoo\n"
        "---\n"
        "# Source: erp/templates/deployment.yaml\n"
        "apiVersion: apps/v1\n"
        "kind: Deployment\n"
        "metadata:\n"
        "  name: odoo\n"
    )
    resources = k8s.load_text(text, "<stdin>").resources
    assert [r.source.template for r in resources] == ["erp/templates/service.yaml", "erp/templates/deployment.yaml"]
    assert resources[1].source.display_path == "erp/templates/deployment.yaml"


def test_helm_crds_after_empty_documents_keep_their_source(corpus: Path) -> None:
    path = corpus / "k8s-real/kubeflow-upstream/spark-operator-helm-rendered.yaml"
    resources = k8s.load_text(path.read_text(encoding="utf-8"), str(path)).resources
    first = resources[0]
    assert first.kind == "CustomResourceDefinition"
    assert first.source.template == "spark-operator/crds/sparkoperator.k8s.io_scheduledsparkapplications.yaml"
    assert resources[3].source.template == "spark-operator/templates/controller/serviceaccount.yaml"


def test_documents_without_kind_are_reported_as_skipped_not_dropped() -> None:
    text = "resources:\n- deployment.yaml\n---\nfoo: bar\n---\n- 1\n"
    result = k8s.load_text(text, "kustomization.yaml")
    assert not result.resources
    assert [(s.line, s.reason.split(":")[0]) for s in result.skipped] == [
        (1, "a kustomization file"),
        (4, "not a Kubernetes object (no apiVersion or kind)"),
        (6, "document is a list, not a Kubernetes object"),
    ]


def test_duplicate_keys_are_recorded_with_the_second_position() -> None:
    text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  hostNetwork: true\n  hostNetwork: false\n"
    result = k8s.load_text(text, "dup.yaml")
    [dup] = result.duplicates
    assert dup.pointer == "/spec/hostNetwork"
    assert dup.position == (7, 3)
    assert result.resources[0].body["spec"]["hostNetwork"] is False


def test_malformed_yaml_keeps_earlier_documents_and_reports_the_line() -> None:
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n---\napiVersion: v1\nkind: [unclosed\n"
    result = k8s.load_text(text, "broken.yaml")
    assert [r.name for r in result.resources] == ["ok"]
    [error] = result.errors
    assert error.path == "broken.yaml"
    assert error.line == 8
    assert "malformed YAML" in str(error)


def test_alias_bomb_is_refused_quickly() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 10):
        refs = ", ".join([f"*a{i - 1}"] * 10)
        lines.append(f"a{i}: &a{i} [{refs}]")
    text = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb}\ndata:\n" + "\n".join("  " + x for x in lines) + "\n"
    )
    with pytest.raises(InputError, match="alias bomb"):
        list(iter_documents(text, "bomb.yaml"))


def test_deep_nesting_is_an_input_error_not_a_recursion_error() -> None:
    text = "a: " + "[" * 5000 + "]" * 5000 + "\n"
    with pytest.raises(InputError) as info:
        list(iter_documents(text, "deep.yaml"))
    assert "deep" in str(info.value)


def test_yaml_scalars_follow_kubernetes_semantics() -> None:
    text = "a: 2024-01-01\nb: '1'\nc: 1\nd: true\ne: null\nf: 1.5\n"
    [doc] = list(iter_documents(text, "s.yaml"))
    assert doc.body == {"a": "2024-01-01", "b": "1", "c": 1, "d": True, "e": None, "f": 1.5}


def test_merge_keys_are_honoured() -> None:
    text = "base: &b {x: 1, y: 2}\nchild:\n  <<: *b\n  y: 3\n"
    [doc] = list(iter_documents(text, "m.yaml"))
    assert doc.body["child"] == {"x": 1, "y": 3}
