"""Property tests: arbitrary bytes and structures given to every loader (Kubernetes YAML, JSON
manifests, Terraform plans, Pulumi previews and state, content detection) and to the config loader
never raise past the CLI: they become a govscan.input-error finding (exit 2), a skipped document,
resources, or a one-line ConfigError. Examples are derandomized (tests/conftest.py profile)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from hardening import TODAY
from hypothesis import example, given, settings
from hypothesis import strategies as st

from govscan.scanner import inputs
from govscan.scanner.config import Config, load_config
from govscan.scanner.engine import FilePass, ScanRequest, scan
from govscan.scanner.errors import ConfigError, GovscanError, InputError
from govscan.scanner.loaders import content, k8s
from govscan.scanner.registry import builtin_rules

RULES = list(builtin_rules())
EXAMPLES = settings.default.max_examples  # the profile's (tests/conftest.py): 40, or 2,000 when "thorough"
FILE_PASS = FilePass(RULES, Config(), None, TODAY, inputs.DEFAULT_MAX_FILE_BYTES)

# --- strategies ----------------------------------------------------------------------------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=20),
    st.sampled_from(["[secret]", "04da6b54-80e4-46f7-96ec-b56ff0331ba9", "production", "prodd", "", "0.1", "1.2"]),
)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=25,
)
K8S_KEYS = ["apiVersion", "kind", "metadata", "spec", "items", "data", "name", "namespace", "labels", "annotations",
            "template", "containers", "securityContext", "image", "env", "replicas", "govscan.io/tier",
            "govscan.io/waive.ha.replicas", "stringData", "rules", "subjects"]  # fmt: skip
PLAN_KEYS = ["format_version", "terraform_version", "resource_changes", "configuration", "planned_values", "address",
             "mode", "type", "name", "module_address", "provider_name", "change", "actions", "before", "after",
             "after_unknown", "after_sensitive", "before_sensitive", "root_module", "module_calls", "resources",
             "expressions", "references", "tags", "tags_all", "tag", "key", "value", "source", "module"]  # fmt: skip
PULUMI_KEYS = ["steps", "op", "urn", "newState", "oldState", "custom", "type", "inputs", "outputs", "deployment",
               "checkpoint", "latest", "resources", "propertyDependencies", "dependencies", "additionalSecretOutputs",
               "4dabf18193072939515e22adb298388d", "plaintext", "tags", "parent", "provider"]  # fmt: skip


def shaped(keys: list[str]) -> st.SearchStrategy[Any]:
    """JSON-like values whose mapping keys mostly come from a loader's vocabulary."""
    key = st.one_of(st.sampled_from(keys), st.text(max_size=8))
    return st.recursive(
        scalars | st.sampled_from(keys),
        lambda children: st.lists(children, max_size=4) | st.dictionaries(key, children, max_size=6),
        max_leaves=40,
    )


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """The expected shape, or anything at all in its place."""
    return st.one_of(strategy, json_values)


def optional(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({}, optional={k: maybe(v) for k, v in fields.items()})


words = st.sampled_from(["a", "b", "erp", "prod", "", "x.y", "a/b", "~1", "*"]) | st.text(max_size=6)
tags = st.dictionaries(st.sampled_from(["Environment", "env", "tier", "Owner", "govscan.io/tier"]), maybe(st.sampled_from(
    ["production", "prod", "prodd", "SB", "dev", ""])), max_size=3)  # fmt: skip
tag_blocks = st.lists(
    optional(key=st.sampled_from(["Environment", "Name"]), value=st.sampled_from(["prod", "x"])), max_size=3
)
body = st.dictionaries(
    st.sampled_from(["tags", "tags_all", "labels", "tag", "password", "engine", "identifier", "multi_az", "bucket",
                     "backup_retention_period", "policy", "ingress", "cidr_blocks", "server_side_encryption_configuration"]),
    st.one_of(json_values, tags, tag_blocks),
    max_size=6,
)  # fmt: skip
references = st.lists(
    st.sampled_from(["var.x", "aws_s3_bucket.b.id", "module.m", "module", "data.a.b.c", "data", "", "a"]) | words,
    max_size=3,
)
config_resource = optional(address=st.sampled_from(["aws_s3_bucket.b", "aws_db_instance.d"]) | words,
                           expressions=st.dictionaries(words, optional(references=references), max_size=3))  # fmt: skip
modules = st.deferred(
    lambda: optional(
        resources=st.lists(config_resource, max_size=3),
        module_calls=st.dictionaries(words, optional(source=st.sampled_from(["./m", "../x", "hashicorp/x"]), module=modules), max_size=2),
    )
)  # fmt: skip
addresses = st.sampled_from(
    ["aws_s3_bucket.b", "module.m.aws_db_instance.d[0]", 'module.x["k"].aws_s3_bucket.b', "data.a.b", "a"]
)
resource_change = optional(
    address=addresses | words,
    mode=st.sampled_from(["managed", "data"]),
    type=st.sampled_from(["aws_db_instance", "aws_s3_bucket", "aws_security_group"]),
    name=st.sampled_from(["b", "d", "main"]),
    module_address=st.sampled_from(["module.m", 'module.x["k"]', ""]),
    provider_name=st.sampled_from(["registry.terraform.io/hashicorp/aws"]),
    change=optional(
        actions=st.lists(st.sampled_from(["create", "delete", "update", "read", "no-op"]), max_size=3),
        before=body, after=body, after_unknown=json_values, after_sensitive=json_values, before_sensitive=json_values,
    ),
)  # fmt: skip
plans = st.fixed_dictionaries(
    {"format_version": maybe(st.sampled_from(["1.2", "0.1", "1.0", "2.0", "9"]))},
    optional={
        "terraform_version": maybe(st.just("1.9.5")),
        "resource_changes": maybe(st.lists(resource_change, max_size=4)),
        "configuration": maybe(optional(root_module=modules)),
    },
)
urns = st.sampled_from(
    ["urn:pulumi:prod::erp::aws:s3/bucketV2:BucketV2::b", "urn:pulumi:dev::erp::aws:rds/instance:Instance::d", "u", ""]
)
secret = st.fixed_dictionaries(
    {"4dabf18193072939515e22adb298388d": st.just("1b47061264138c4ac30d75fd1eb44270")},
    optional={"plaintext": st.text(max_size=8)},
)
inputs_ = st.dictionaries(
    st.sampled_from(["password", "tags", "engine", "backupRetentionPeriod", "policy", "__defaults", "serverSideEncryptionConfiguration"]),
    st.one_of(json_values, secret, tags, st.sampled_from(["[secret]", "04da6b54-80e4-46f7-96ec-b56ff0331ba9"])),
    max_size=5,
)  # fmt: skip
pulumi_states = optional(
    urn=urns, custom=st.booleans(), type=st.sampled_from(["aws:s3/bucketV2:BucketV2", "aws:rds/instance:Instance", "pulumi:pulumi:Stack", "x"]),
    inputs=inputs_, outputs=inputs_, propertyDependencies=st.dictionaries(words, st.lists(urns, max_size=2), max_size=2),
    dependencies=st.lists(urns, max_size=2), additionalSecretOutputs=st.lists(words, max_size=2),
)  # fmt: skip
pulumi_steps = optional(op=st.sampled_from(["create", "update", "delete", "replace", "same", "read", "create-replacement"]),
                        urn=urns, newState=pulumi_states, oldState=pulumi_states)  # fmt: skip
metadata = optional(name=words, namespace=words, generateName=words, labels=tags, annotations=st.dictionaries(
    st.sampled_from(["govscan.io/tier", "govscan.io/waive.ha.replicas", "govscan.io/waive.nope", "a"]), maybe(words), max_size=3))  # fmt: skip
containers = st.lists(optional(name=words, image=st.sampled_from(["odoo:17.0", "odoo", "", "x@sha256:00"]) | words,
    securityContext=optional(privileged=st.booleans(), runAsNonRoot=st.booleans(), capabilities=optional(add=st.lists(words))),
    env=st.lists(optional(name=st.sampled_from(["PASSWORD", "X"]), value=words, valueFrom=json_values), max_size=2),
    resources=optional(limits=optional(memory=words, cpu=words), requests=json_values)), max_size=2)  # fmt: skip
pod_spec = optional(containers=containers, initContainers=containers, hostNetwork=st.booleans(), volumes=json_values,
                    securityContext=json_values, serviceAccountName=words)  # fmt: skip
manifests = st.deferred(
    lambda: st.fixed_dictionaries(
        {
            "apiVersion": maybe(st.sampled_from(["v1", "apps/v1", "batch/v1", "rbac.authorization.k8s.io/v1", "networking.k8s.io/v1"])),
            "kind": maybe(st.sampled_from(["Pod", "Deployment", "CronJob", "Secret", "ConfigMap", "Namespace", "List",
                                           "DeploymentList", "ClusterRoleBinding", "Ingress", "Service"])),
        },
        optional={
            "metadata": maybe(metadata),
            "spec": maybe(optional(replicas=st.integers(-1, 5), template=optional(metadata=metadata, spec=pod_spec),
                                   jobTemplate=json_values, selector=json_values, rules=json_values, tls=json_values,
                                   type=words, ports=json_values, roleRef=json_values) | pod_spec),
            "items": st.lists(manifests, max_size=2),
            "data": json_values,
            "stringData": json_values,
            "subjects": json_values,
            "roleRef": json_values,
        },
    )
)  # fmt: skip


YAML_TOKENS = ["a", "b", ":", ": ", "- ", "-", "[", "]", "{", "}", ",", "&x ", "*x", "<<: ", "!!int ", "!!str ",
               "!!python/name:os.system ", "!custom ", "? ", "|", ">", "'", '"', "#", "---", "...", "\n", "  ",
               "\t", "apiVersion: v1\n", "kind: Pod\n", "kind: List\nitems:\n", "metadata:\n  name: x\n", "%YAML 1.1\n",
               "\x00", "\x1b", "\ufeff", "é", "9" * 30, "1e999", ".nan", "~", "null", "0x1F", "2024-01-01"]  # fmt: skip
yaml_texts = st.lists(st.sampled_from(YAML_TOKENS), max_size=40).map("".join) | st.text(max_size=200)


def load_never_raises(data: bytes, name: str = "x.yaml") -> None:
    """What FilePass does with a file's bytes: decode, detect, load, check tiers. Nothing escapes."""
    try:
        text = inputs.decode(data, name)
    except InputError as exc:
        assert exc.path == name and "\n" not in str(exc)
        return
    loaded = content.load(text, name)
    for error in loaded.errors:
        assert isinstance(error, InputError) and error.path == name and "\n" not in error.problem
    for resource in loaded.resources:
        list(FILE_PASS.tier_problems(resource))
        resource.source.locate("/spec/template/spec/containers/0/image")


def scan_never_raises(data: bytes, name: str) -> None:
    """The whole engine over one file: a report with an exit code, never an exception."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / name
        path.write_bytes(data)
        report = scan(ScanRequest(targets=(str(path),), config=Config(), today=TODAY, cwd=Path(directory)), RULES)
    assert report.gate.exit_code in (0, 1, 2, 3)
    errors = [f for f in report.findings if f.rule_id == "govscan.input-error"]
    if errors:
        assert report.gate.exit_code == 2
    assert not [f for f in report.findings if f.rule_id == "govscan.rule-error"], [f.message for f in report.findings]


# --- loaders ---------------------------------------------------------------------------------------------


@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    load_never_raises(data)
    load_never_raises(b"{" + data, "x.json")


@settings(max_examples=EXAMPLES * 4)
@given(yaml_texts)
@example("a: !!int \n")  # crashed: IndexError in PyYAML's int constructor
@example("a: !!int hunter2\n")  # crashed, quoting the value
@example("a: " + "[" * 50_000 + "]" * 50_000)  # killed the process (libyaml recursion)
def test_yaml_like_text_never_raises(text: str) -> None:
    load_never_raises(text.encode("utf-8", "surrogatepass"))
    try:
        result = k8s.load_text(text, "x.yaml")
    except Exception as exc:  # pragma: no cover - the assertion names it
        raise AssertionError(f"k8s.load_text raised {exc!r}") from exc
    assert all(isinstance(e, InputError) for e in result.errors)


@given(manifests | shaped(K8S_KEYS))
def test_kubernetes_json_manifests_never_raise(document: Any) -> None:
    load_never_raises(json.dumps(document).encode(), "x.json")


@settings(max_examples=EXAMPLES * 3)
@given(plans)
@example({"format_version": "1.2", "configuration": {"root_module": {"module_calls": ["db"]}}})  # crashed: list.items
@example({"format_version": "1.2", "configuration": {"root_module": {"resources": 5}}})  # crashed: int not iterable
def test_terraform_plans_never_raise(document: dict[str, Any]) -> None:
    load_never_raises(json.dumps(document).encode(), "plan.json")


@settings(max_examples=EXAMPLES * 3)
@given(
    st.one_of(
        st.lists(maybe(pulumi_steps), max_size=4).map(lambda steps: {"steps": steps}),
        st.lists(maybe(pulumi_states), max_size=4).map(lambda resources: {"deployment": {"resources": resources}}),
        st.lists(pulumi_states, max_size=3).map(lambda resources: {"checkpoint": {"latest": {"resources": resources}}}),
    )
)
@example({"steps": [{"op": "create", "newState": {"urn": "urn:pulumi:a::b::c::d", "type": "x", "dependencies": 5}}]})
@example({"deployment": {"resources": [{"urn": "u", "type": "x", "propertyDependencies": {"": True}}]}})
def test_pulumi_previews_and_state_never_raise(document: dict[str, Any]) -> None:
    load_never_raises(json.dumps(document).encode(), "preview.json")


@settings(max_examples=EXAMPLES * 3 // 2)
@given(
    st.one_of(
        manifests.map(lambda d: json.dumps(d).encode()),
        plans.map(lambda d: json.dumps(d).encode()),
        st.lists(pulumi_steps, max_size=3).map(lambda steps: json.dumps({"steps": steps}).encode()),
        yaml_texts.map(lambda t: t.encode("utf-8", "surrogatepass")),
    )
)
def test_the_whole_engine_never_raises(data: bytes) -> None:
    scan_never_raises(data, "input.json" if data[:1] == b"{" else "input.yaml")


# --- the config loader -----------------------------------------------------------------------------------

CONFIG_KEYS = ["extends", "default_tier", "tiers", "namespaces", "paths", "addresses", "tags", "aliases", "rules",
               "ha.replicas", "ha.*", "enabled", "enforcement", "options", "min_replicas", "production", "staging",
               "prod", "block", "warn", "waivers", "rule", "resource", "owner", "reason", "expires", "waiver_policy",
               "forbid_annotation_waivers_in", "max_days", "workloads", "settings", "Deployment"]  # fmt: skip


@settings(max_examples=EXAMPLES * 2)
@given(shaped(CONFIG_KEYS) | yaml_texts)
@example({"\n": None})  # a two-line error message
@example({"rules": {"1": {}}, "extends": ["\x00"]})  # crashed: embedded null byte
@example("1: 2\n")  # crashed: int key in an error message
def test_any_config_is_a_config_or_one_line_error(value: Any) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / ".govscan.yaml"
        if isinstance(value, str):
            path.write_bytes(value.encode("utf-8", "surrogatepass"))
        else:
            path.write_text(json.dumps(value))  # JSON is YAML
        try:
            config = load_config(path)
            (Path(directory) / "app.yaml").write_text(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a, namespace: erp}\nspec: {replicas: 1}\n"
            )
            report = scan(ScanRequest(targets=(directory,), config=config, today=TODAY, cwd=Path(directory)), RULES)
        except ConfigError as exc:
            assert str(exc).startswith(str(path)) and "\n" not in str(exc)
            return
        except GovscanError as exc:  # e.g. a rule pattern of the config matching nothing
            assert "\n" not in str(exc)
            return
    assert report.gate.exit_code in (0, 1, 2, 3)
