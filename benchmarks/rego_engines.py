"""Which embedded Rego engine govscan uses: regopy (rego-cpp) or regorus (a PyPI build), measured.

Two measurements, on the same machine and the same policies:

1. Coverage: small Rego v1 modules using the features real policies need (rego.v1 syntax, `every`,
   `contains`, `sprintf`, `startswith`, sets, comprehensions, `with`, functions, regex, object.get,
   runtime errors); each case has the result OPA gives, and an engine passes a case only when it
   returns exactly that.
2. Speed: a realistic Conftest-style policy set (six deny/warn rules over a Deployment) compiled
   once, then evaluated for many inputs the way `govscan scan --policy` does: set input, evaluate
   one entry rule, decode the JSON result. Reported as microseconds per evaluation (median of 5
   rounds) and the compile time.

Usage: python benchmarks/rego_engines.py [--evaluations N]   (needs `pip install regopy gordon-to-regorus`)
"""

from __future__ import annotations

import argparse
import copy
import importlib.metadata
import json
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

UNDEFINED = "<undefined>"
ERROR = "<error>"


@dataclass(frozen=True)
class Case:
    feature: str
    module: str
    rule: str
    expected: Any
    input: Any = None


CASES = (
    Case(
        "rego.v1 contains/if",
        """package t
import rego.v1
deny contains msg if {
    some c in input.containers
    c.privileged
    msg := c.name
}""",
        "data.t.deny",
        ["b"],
        {"containers": [{"name": "a"}, {"name": "b", "privileged": True}]},
    ),
    Case(
        "every (one-line rule body)",
        """package t
import rego.v1
pinned if every c in input.containers { contains(c.image, "@sha256:") }""",
        "data.t.pinned",
        True,
        {"containers": [{"image": "r@sha256:1"}, {"image": "q@sha256:2"}]},
    ),
    Case(
        "every (in a body)",
        """package t
import rego.v1
pinned if {
    count(input.containers) > 0
    every c in input.containers { contains(c.image, "@sha256:") }
}""",
        "data.t.pinned",
        UNDEFINED,
        {"containers": [{"image": "r@sha256:1"}, {"image": "q:1"}]},
    ),
    Case(
        "contains / startswith / endswith",
        """package t
import rego.v1
r := [contains("nginx:latest", ":lat"), startswith("registry.io/x", "registry.io/"), endswith("a:latest", ":latest")]""",
        "data.t.r",
        [True, True, True],
    ),
    Case(
        "sprintf %s %d %v",
        """package t
import rego.v1
r := sprintf("%s has %d replicas, labels %v", ["web", 2, ["a"]])""",
        "data.t.r",
        'web has 2 replicas, labels ["a"]',
    ),
    Case(
        "sets: literal, | & -, count, in",
        """package t
import rego.v1
required := {"owner", "team", "cost-center"}
present := {k | some k, _ in input.labels}
missing := required - present
r := [count(required | present), count(required & present), "team" in missing]""",
        "data.t.r",
        [4, 1, True],
        {"labels": {"owner": "x", "app": "y"}},
    ),
    Case(
        "comprehensions: array, set, object",
        """package t
import rego.v1
r := {
    "array": [n | some n in input.n; n > 1],
    "set": count({x | some n in input.n; x := n % 2}),
    "object": {k: v | some k, v in {"a": 1, "b": 2}; v > 1},
}""",
        "data.t.r",
        {"array": [2, 3], "set": 2, "object": {"b": 2}},
        {"n": [1, 2, 3]},
    ),
    Case(
        "with input / with data",
        """package t
import rego.v1
tier := data.govscan.tier
r := [x, y] if {
    x := tier with data.govscan as {"tier": "production"}
    y := input.kind with input as {"kind": "Pod"}
}""",
        "data.t.r",
        ["production", "Pod"],
        {"kind": "Deployment"},
    ),
    Case(
        "with data as a variable (govscan's entry rule)",
        """package t
import rego.v1
deny contains msg if {
    data.govscan.tier == "production"
    msg := sprintf("%s in production", [input.kind])
}
r := d if {
    g := input.govscan
    d := deny with data.govscan as g with input as input.resource
}""",
        "data.t.r",
        ["Pod in production"],
        {"resource": {"kind": "Pod"}, "govscan": {"tier": "production"}},
    ),
    Case(
        "functions, default, else",
        """package t
import rego.v1
default level := "none"
level := "high" if input.n > 5 else := "low" if input.n > 0
double(x) := x * 2
r := [level, double(input.n)]""",
        "data.t.r",
        ["low", 6],
        {"n": 3},
    ),
    Case(
        "object.get, regex.match, to_number",
        """package t
import rego.v1
r := [object.get(input, ["a", "b"], "dflt"), regex.match(`^v[0-9]+$`, "v12"), to_number("8080")]""",
        "data.t.r",
        ["dflt", True, 8080],
        {"a": {}},
    ),
    Case(
        "runtime error: conflicting complete rule",
        """package t
import rego.v1
r := x if some x in input.values""",
        "data.t.r",
        ERROR,
        {"values": [1, 2]},
    ),
)

POLICY = """package main
import rego.v1

workload_kinds := {"Deployment", "StatefulSet", "DaemonSet"}

containers contains c if some c in input.spec.template.spec.containers

deny contains {"msg": msg, "id": "image-latest", "path": sprintf("/spec/template/spec/containers/%d/image", [i])} if {
    data.govscan.tier == "production"
    some i, c in input.spec.template.spec.containers
    endswith(c.image, ":latest")
    msg := sprintf("container %s uses a :latest image", [c.name])
}

deny contains {"msg": "owner label missing", "id": "owner-label", "path": "/metadata/labels"} if {
    input.kind in workload_kinds
    not input.metadata.labels.owner
}

deny contains msg if {
    some c in containers
    not c.resources.limits.memory
    msg := sprintf("container %s has no memory limit", [c.name])
}

warn contains msg if {
    input.spec.replicas < 2
    msg := sprintf("%s runs %d replica(s)", [input.metadata.name, input.spec.replicas])
}

warn contains msg if {
    some c in containers
    not every_probe(c)
    msg := sprintf("container %s lacks a probe", [c.name])
}

every_probe(c) if {
    c.readinessProbe
    c.livenessProbe
}

exception contains rules if {
    input.metadata.annotations["example.com/legacy"] == "true"
    rules := ["owner-label"]
}
"""

ENTRY = """package bench
import rego.v1
result := {"deny": data.main.deny, "warn": data.main.warn, "exception": data.main.exception}
"""


def deployment(i: int) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": f"web-{i}",
            "namespace": "shop-prod",
            "labels": {"app": "web"} | ({"owner": "t"} if i % 2 else {}),
        },
        "spec": {
            "replicas": i % 3,
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": "app",
                            "image": "registry.example.com/web:latest"
                            if i % 4 == 0
                            else "registry.example.com/web:1.4.2",
                            "resources": {"limits": {"memory": "256Mi"}} if i % 5 else {},
                            "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8080}},
                        },
                        {"name": "proxy", "image": "envoy:v1.30", "resources": {"limits": {"memory": "64Mi"}}},
                    ]
                }
            },
        },
    }


class Engine:
    name = ""
    version = ""

    def compile(self, modules: dict[str, str]) -> None:
        raise NotImplementedError

    def add_data(self, value: dict[str, Any]) -> None:
        raise NotImplementedError

    def evaluate(self, rule: str, value: Any) -> Any:
        raise NotImplementedError


class Regorus(Engine):
    name = "regorus"

    def __init__(self) -> None:
        import regorus

        self.version = importlib.metadata.version("gordon-to-regorus")
        self.engine = regorus.Engine()

    def compile(self, modules: dict[str, str]) -> None:
        for path, source in modules.items():
            self.engine.add_policy(path, source)

    def add_data(self, value: dict[str, Any]) -> None:
        self.engine.add_data_json(json.dumps(value))

    def evaluate(self, rule: str, value: Any) -> Any:
        self.engine.set_input_json(json.dumps(value))
        try:
            text = self.engine.eval_rule_as_json(rule)
        except RuntimeError:
            return ERROR
        result = json.loads(text)
        # regorus gives undefined as the JSON string "<undefined>"
        return UNDEFINED if result == "<undefined>" else result


class Regopy(Engine):
    name = "regopy"

    def __init__(self) -> None:
        import regopy

        self.regopy = regopy
        self.version = importlib.metadata.version("regopy")
        self.engine = regopy.Interpreter()

    def compile(self, modules: dict[str, str]) -> None:
        for path, source in modules.items():
            self.engine.add_module(path, source)
        probe = self.engine.query("true")  # rego-cpp compiles lazily: force it so errors show here
        if not probe.results:
            raise RuntimeError(self.error())

    def error(self) -> str:
        # str() of a failed Output crashes the process in regopy 1.5.2; the interpreter's error is safe
        from regopy.rego_shared import rego_get_error

        return str(rego_get_error(self.engine._impl))

    def add_data(self, value: dict[str, Any]) -> None:
        self.engine.add_data_json(json.dumps(value))

    def evaluate(self, rule: str, value: Any) -> Any:
        self.engine.set_input_term(json.dumps(value))
        output = self.engine.query(rule)
        if not output.results:
            return ERROR if self.error() else UNDEFINED
        expressions = output.results[0].expressions
        return expressions[0] if expressions else UNDEFINED


ENGINES: tuple[Callable[[], Engine], ...] = (Regorus, Regopy)


def normalise(value: Any) -> Any:
    """Sets come back as JSON arrays in either engine's order: compare them sorted."""
    if isinstance(value, list):
        return sorted((normalise(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    if isinstance(value, dict):
        return {k: normalise(v) for k, v in value.items()}
    return value


def coverage(make: Callable[[], Engine]) -> list[tuple[str, bool, str]]:
    rows = []
    for case in CASES:
        try:
            engine = make()
            engine.compile({"case.rego": case.module})
            got = engine.evaluate(case.rule, case.input if case.input is not None else {})
        except Exception as exc:  # a compile error in a case is a coverage gap, not a crash
            got = f"error: {' '.join(str(exc).split())[:120]}"
        ok = normalise(got) == normalise(case.expected)
        rows.append((case.feature, ok, "" if ok else f"got {got!r}"[:160]))
    return rows


def speed(make: Callable[[], Engine], evaluations: int) -> tuple[float, float, Any]:
    start = time.perf_counter()
    engine = make()
    engine.compile({"policy.rego": POLICY, "entry.rego": ENTRY})
    engine.add_data({"govscan": {"tier": "production"}})
    compiled = time.perf_counter() - start
    inputs = [deployment(i) for i in range(evaluations)]
    first = normalise(engine.evaluate("data.bench.result", copy.deepcopy(inputs[0])))
    rounds = []
    for _ in range(5):
        start = time.perf_counter()
        for value in inputs:
            engine.evaluate("data.bench.result", value)
        rounds.append((time.perf_counter() - start) / evaluations * 1e6)
    return compiled * 1000, statistics.median(rounds), first


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--evaluations", type=int, default=2000)
    args = parser.parse_args(argv)
    print(f"Python {sys.version.split()[0]}, {args.evaluations} evaluations x 5 rounds\n")
    results = {}
    for make in ENGINES:
        try:
            engine = make()
        except ImportError as exc:
            print(f"{make.__name__}: not installed ({exc})")
            continue
        rows = coverage(make)
        compiled_ms, per_eval_us, first = speed(make, args.evaluations)
        results[engine.name] = first
        passed = sum(ok for _, ok, _ in rows)
        print(
            f"## {engine.name} {engine.version}: coverage {passed}/{len(rows)}, compile {compiled_ms:.1f} ms, {per_eval_us:.0f} us/evaluation"
        )
        for feature, ok, note in rows:
            print(f"  {'ok  ' if ok else 'FAIL'} {feature}{'  ' + note if note else ''}")
        print()
    if len(results) == 2:
        same = len({json.dumps(v, sort_keys=True) for v in results.values()}) == 1
        print(f"same result on the speed policy: {same}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
