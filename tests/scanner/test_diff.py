"""The resource-level diff: parsed data compared, uids matched, plans read as change sets."""

from __future__ import annotations

import json
from pathlib import Path

from govscan.scanner.diff import changed_fields, diff, load_snapshot, plan_changes
from govscan.scanner.model import Action, ChangeKind

CONFIGMAP = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: odoo-config, namespace: erp-prod}
data:
  WORKERS: "4"
  DB_MAXCONN: "64"
"""


def snapshot(tmp_path: Path, side: str, files: dict[str, str]):  # type: ignore[no-untyped-def]
    for name, text in files.items():
        path = tmp_path / side / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return load_snapshot(side, [str(tmp_path / side)], tmp_path)


def test_formatting_key_order_comments_and_moves_are_not_changes(tmp_path: Path) -> None:
    base = snapshot(tmp_path, "base", {"cm.yaml": CONFIGMAP})
    moved = '# moved and reformatted\n{"data": {"DB_MAXCONN": "64", "WORKERS": "4"}, "kind": "ConfigMap",\n' \
        ' "metadata": {"namespace": "erp-prod", "name": "odoo-config"}, "apiVersion": "v1"}\n'  # fmt: skip
    head = snapshot(tmp_path, "head", {"elsewhere/config.yaml": moved})
    assert diff(base.resources, head.resources) == []


def test_added_removed_and_modified_with_field_pointers(tmp_path: Path) -> None:
    secret = "apiVersion: v1\nkind: Secret\nmetadata: {name: smtp, namespace: erp-prod}\nstringData: {USER: odoo}\n"
    base = snapshot(tmp_path, "base", {"cm.yaml": CONFIGMAP, "secret.yaml": secret})
    changed = CONFIGMAP.replace('WORKERS: "4"', 'WORKERS: "6"').replace('  DB_MAXCONN: "64"\n', '  "a/b~c": "x"\n')
    service = (
        "apiVersion: v1\nkind: Service\nmetadata: {name: odoo, namespace: erp-prod}\nspec: {ports: [{port: 8069}]}\n"
    )
    head = snapshot(tmp_path, "head", {"cm.yaml": changed, "svc.yaml": service})
    changes = diff(base.resources, head.resources)
    assert [(c.kind, c.resource.uid, c.fields) for c in changes] == [
        (
            ChangeKind.MODIFIED,
            "core/ConfigMap/erp-prod/odoo-config",
            ("/data/DB_MAXCONN", "/data/WORKERS", "/data/a~1b~0c"),
        ),
        (ChangeKind.REMOVED, "core/Secret/erp-prod/smtp", ()),
        (ChangeKind.ADDED, "core/Service/erp-prod/odoo", ()),
    ]
    assert changes[1].head is None and changes[1].base is not None and changes[2].base is None


def test_field_pointers_of_lists_and_scalars() -> None:
    assert list(changed_fields({"a": [1, 2]}, {"a": [1, 3, 4]})) == ["/a/1", "/a/2"]
    assert list(changed_fields({"a": True}, {"a": 1})) == ["/a"]  # true -> 1 is a change in YAML
    assert list(changed_fields({"a": 1}, {"a": 1.0})) == []
    assert list(changed_fields({"a": {"b": 1}}, {"a": "x"})) == ["/a"]


def test_the_same_uid_twice_on_a_side_is_told_apart_by_file(tmp_path: Path) -> None:
    base = snapshot(tmp_path, "base", {"base/cm.yaml": CONFIGMAP, "overlay/cm.yaml": CONFIGMAP})
    head = snapshot(tmp_path, "head", {"base/cm.yaml": CONFIGMAP, "overlay/cm.yaml": CONFIGMAP.replace('"4"', '"8"')})
    assert (base.root, head.root) == ("base/", "head/")
    [change] = diff(base.resources, head.resources, base.root, head.root)
    assert (change.kind, change.resource.source.path, change.fields) == (
        ChangeKind.MODIFIED,
        "head/overlay/cm.yaml",
        ("/data/WORKERS",),
    )


def plan(*entries: tuple[str, list[str], dict | None, dict | None]) -> str:  # type: ignore[type-arg]
    changes = [
        {
            "address": address,
            "mode": "managed",
            "type": address.split(".")[0],
            "name": address.split(".")[1],
            "provider_name": "registry.terraform.io/hashicorp/aws",
            "change": {"actions": actions, "before": before, "after": after, "after_unknown": {}},
        }
        for address, actions, before, after in entries
    ]
    return json.dumps({"format_version": "1.2", "terraform_version": "1.8.5", "resource_changes": changes})


def test_a_plan_alone_is_its_own_base(tmp_path: Path) -> None:
    db = {"identifier": "erp", "engine_version": "15.5", "allocated_storage": 100}
    head = snapshot(
        tmp_path,
        "head",
        {
            "plan.json": plan(
                ("aws_db_instance.erp", ["update"], db, {**db, "allocated_storage": 200}),
                ("aws_s3_bucket.exports", ["delete"], {"bucket": "erp-exports"}, None),
                ("aws_sqs_queue.orders", ["create"], None, {"name": "orders"}),
                ("aws_iam_role.app", ["no-op"], {"name": "app"}, {"name": "app"}),
            )
        },
    )
    changes = plan_changes(head.resources)
    assert [(c.kind, c.resource.uid, c.action, c.fields) for c in changes] == [
        (ChangeKind.MODIFIED, "aws_db_instance.erp", Action.UPDATE, ("/allocated_storage",)),
        (ChangeKind.REMOVED, "aws_s3_bucket.exports", Action.DELETE, ()),
        (ChangeKind.ADDED, "aws_sqs_queue.orders", Action.CREATE, ()),
    ]


def test_two_plans_compare_states_after_apply_but_never_hide_a_planned_replace(tmp_path: Path) -> None:
    db = {"identifier": "erp", "engine_version": "15.5"}
    both = ("aws_db_instance.erp", ["delete", "create"], db, db)
    base = snapshot(
        tmp_path, "base", {"plan.json": plan(both, ("aws_sqs_queue.orders", ["no-op"], {"n": 1}, {"n": 1}))}
    )
    head = snapshot(
        tmp_path, "head", {"plan.json": plan(both, ("aws_sqs_queue.orders", ["no-op"], {"n": 1}, {"n": 1}))}
    )
    [change] = diff(base.resources, head.resources, keep_planned=True)
    assert (change.kind, change.resource.uid, change.action, change.fields) == (
        ChangeKind.MODIFIED,
        "aws_db_instance.erp",
        Action.REPLACE,
        (),
    )
    # in a tree, an unchanged plan file is no part of the change; a newly planned replace is
    assert diff(base.resources, head.resources) == []
    queue = ("aws_sqs_queue.orders", ["no-op"], {"n": 1}, {"n": 1})
    calm = snapshot(tmp_path, "calm", {"plan.json": plan(("aws_db_instance.erp", ["no-op"], db, db), queue)})
    [newly] = diff(calm.resources, head.resources)
    assert (newly.kind, newly.action) == (ChangeKind.MODIFIED, Action.REPLACE)


def test_a_uid_duplicated_on_one_side_is_matched_by_file_on_both(tmp_path: Path) -> None:
    base = snapshot(tmp_path, "base", {"a.yaml": CONFIGMAP, "b.yaml": CONFIGMAP})
    head = snapshot(tmp_path, "head", {"a.yaml": CONFIGMAP})
    [change] = diff(base.resources, head.resources, base.root, head.root)
    assert (change.kind, change.resource.source.path) == (ChangeKind.REMOVED, "base/b.yaml")


def test_unchanged_files_are_not_parsed_but_their_namespaces_are_kept(tmp_path: Path) -> None:
    namespace = (
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: erp-staging\n  labels: {govscan.io/tier: staging}\n"
    )
    (tmp_path / "tree").mkdir()
    (tmp_path / "tree" / "ns.yaml").write_text(namespace + "---\n" + CONFIGMAP)
    (tmp_path / "tree" / "cm.yaml").write_text(CONFIGMAP.replace("odoo-config", "other"))
    (tmp_path / "tree" / "broken.yaml").write_text("a: [\n")
    seen = load_snapshot("head", [str(tmp_path / "tree")], tmp_path, changed=lambda path: path == "tree/cm.yaml")
    assert [r.uid for r in seen.resources] == ["core/ConfigMap/erp-prod/other"]
    assert [r.uid for r in seen.context] == ["core/Namespace/-/erp-staging"]
    assert seen.errors == []  # unchanged: the head's own scan reports it
