"""Rego evaluation behind one small interface: embedded (regorus, in-process) or an OPA server.

`RegoEngine` loads modules, adds base documents and evaluates a data reference for an input.
`EmbeddedRego` runs regorus in this process (chosen over regopy by measured speed and coverage:
benchmarks/rego_engines.py and the README); `OpaServerRego` does the same over OPA's REST Policy
and Data APIs with opa-python-client. Both report compile errors as `path:line: message` and
runtime errors as PolicyRuntimeError, so what the scan makes of them does not depend on the engine.

`outline()` reads the rules of a set of modules from regorus's syntax tree: package, rule name,
line, and the literal fields of the result each rule definition builds (`id`, `domain`, ...).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from govscan.scanner.errors import GovscanError, UsageError


@dataclass(frozen=True)
class PolicyModule:
    """One .rego file: `path` is what messages show (`policy/deny.rego`, `origin/main:policy/deny.rego`)."""

    path: str
    source: str


class _Undefined:
    """A reference with no value (OPA's `undefined`): not false, not an error."""

    def __repr__(self) -> str:
        return "UNDEFINED"


UNDEFINED: Any = _Undefined()


class PolicyCompileError(GovscanError):
    """A module that does not parse or compile: exit 2 naming the file and line."""

    def __init__(self, path: str, line: int | None, message: str) -> None:
        self.path, self.line, self.problem = path, line, message
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {message}")


class PolicyRuntimeError(Exception):
    """A rule failed while evaluating (conflicting outputs, a builtin error under strict mode)."""


_LOCATION = re.compile(r"-->\s*(?P<path>.+):(?P<line>\d+):(?P<column>\d+)\s*$", re.MULTILINE)
_MESSAGE = re.compile(r"^error:\s*(?P<message>.+)$", re.MULTILINE)


def _regorus_error(exc: Exception) -> tuple[str | None, int | None, str]:
    """(path, line, message) from a regorus error; its text may carry a Rust backtrace, dropped here."""
    text = str(exc).split("Stack backtrace:")[0]
    where = _LOCATION.search(text)
    said = _MESSAGE.search(text)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    message = said.group("message").strip() if said else (lines[0] if lines else type(exc).__name__)
    if where is None:
        return None, None, message
    return where.group("path"), int(where.group("line")), message


class RegoEngine(ABC):
    """Load modules and base documents, then evaluate `data.<ref>` for one input at a time."""

    @abstractmethod
    def load(self, modules: Sequence[PolicyModule]) -> None:
        """Compile (or push) modules; raises PolicyCompileError naming the file and line."""

    @abstractmethod
    def add_data(self, path: Sequence[str], value: Mapping[str, Any]) -> None:
        """Put a base document at data.<path>."""

    @abstractmethod
    def evaluate(self, path: Sequence[str], input_json: str | None) -> Any:
        """The value of data.<path> (JSON types) for this input (None: input undefined), or UNDEFINED;
        raises PolicyRuntimeError."""

    def close(self) -> None:  # noqa: B027 (most engines hold nothing to release)
        """Release what the engine holds (an OPA server forgets what this engine pushed)."""


class EmbeddedRego(RegoEngine):
    """regorus, in this process: no server, no network."""

    def __init__(self) -> None:
        import regorus

        self._engine = regorus.Engine()

    def load(self, modules: Sequence[PolicyModule]) -> None:
        for module in modules:
            try:
                self._engine.add_policy(module.path, module.source)
            except RuntimeError as exc:
                path, line, message = _regorus_error(exc)
                raise PolicyCompileError(path or module.path, line, _hint(message)) from None

    def add_data(self, path: Sequence[str], value: Mapping[str, Any]) -> None:
        document: Any = value
        for key in reversed(path):
            document = {key: document}
        self._engine.add_data_json(json.dumps(document))

    def evaluate(self, path: Sequence[str], input_json: str | None) -> Any:
        if input_json is not None:
            self._engine.set_input_json(input_json)
        try:
            text = self._engine.eval_query_as_json(data_ref(path))
        except RuntimeError as exc:
            where, line, message = _regorus_error(exc)
            raise PolicyRuntimeError(f"{where}:{line}: {message}" if where else message) from None
        results = json.loads(text).get("result") or []
        if not results:
            return UNDEFINED
        return results[0]["expressions"][0]["value"]

    def syntax_trees(self) -> list[dict[str, Any]]:
        """regorus's syntax tree of every loaded module (for `outline`)."""
        trees: list[dict[str, Any]] = json.loads(self._engine.get_ast_as_json())
        return trees


_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def data_ref(path: Sequence[str]) -> str:
    """`data.main.deny`, or `data["my-pkg"].deny` for names that are not identifiers."""
    return "data" + "".join(f".{p}" if _IDENTIFIER.match(p) else f"[{json.dumps(p)}]" for p in path)


def _hint(message: str) -> str:
    if "`if` keyword is required" in message or "`contains` keyword is required" in message:
        return f"{message} (govscan reads Rego v1: `deny contains msg if {{ ... }}`; `opa fmt --write --v0-v1` upgrades old policies)"
    return message


class OpaServerRego(RegoEngine):
    """An OPA server through its REST Policy and Data APIs (opa-python-client).

    Modules this engine loads are pushed under ids `govscan/<run>/...` and deleted on close, as is
    data it adds; `server_modules()` reads the policies already on the server instead.
    """

    PREFIX = "govscan/"

    def __init__(self, url: str, token: str | None = None, timeout: float = 30.0) -> None:
        from opa_client import OpaClient

        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise UsageError(f"--opa-url: {url!r} is not an http(s) URL such as http://localhost:8181")
        if parts.path not in ("", "/"):
            raise UsageError(f"--opa-url: give the server's root ({parts.scheme}://{parts.netloc}), not a path")
        self.url = f"{parts.scheme}://{parts.netloc}"
        port = parts.port or (443 if parts.scheme == "https" else 8181)
        # retries=0: a policy's runtime error is a 500 that retrying cannot fix
        self._connect = partial(
            OpaClient,
            host=parts.hostname,
            port=port,
            ssl=parts.scheme == "https",
            token=token,
            retries=0,
            timeout=timeout,
        )
        self._client = self._connect()
        self._pid = os.getpid()
        self.run = secrets.token_hex(4)
        self._paths: dict[str, str] = {}
        """Policy id on the server -> the path messages show."""
        self._pushed: list[str] = []
        self._data: list[str] = []

    def _call(self, what: str, call: Any, *args: Any, **kwargs: Any) -> Any:
        import requests
        from opa_client.errors import ConnectionsError

        try:
            return call(*args, **kwargs)
        except (requests.ConnectionError, requests.Timeout, ConnectionsError) as exc:
            raise UsageError(f"--opa-url: cannot reach OPA at {self.url} ({type(exc).__name__}) while {what}") from None

    def check(self) -> None:
        """Fail before the scan, not on every resource, when the server cannot be reached."""
        self._call("connecting", self._client.check_connection)

    def server_modules(self) -> list[PolicyModule]:
        """The policies the server already has (except modules a govscan run pushed)."""
        from opa_client.errors import PolicyNotFoundError

        ids = self._call("listing policies", self._client.get_policies_list)
        modules = []
        for policy_id in sorted(ids):
            if policy_id.startswith(self.PREFIX):
                continue
            try:
                raw = self._call("reading a policy", self._client.get_policy, policy_id)["result"]["raw"]
            except PolicyNotFoundError:  # deleted between the listing and the read
                continue
            path = f"opa:{policy_id}"
            self._paths[policy_id] = path
            modules.append(PolicyModule(path, raw))
        return modules

    def load(self, modules: Sequence[PolicyModule]) -> None:
        from opa_client.errors import RegoParseError

        for index, module in enumerate(modules):
            if module.path.startswith("opa:") and module.path[4:] in self._paths:
                continue  # already on the server
            policy_id = f"{self.PREFIX}{self.run}/{index}/{module.path.rsplit('/', 1)[-1]}"
            self._paths[policy_id] = module.path
            try:
                self._call("pushing a policy", self._client.update_policy_from_string, module.source, policy_id, False)
            except RegoParseError as exc:
                first = (getattr(exc, "errors", None) or [{}])[0]
                location = first.get("location") or {}
                message = first.get("message") or str(getattr(exc, "message", exc))
                raise PolicyCompileError(
                    module.path, location.get("row"), f"OPA refused the module: {message}"
                ) from None
            self._pushed.append(policy_id)

    def add_data(self, path: Sequence[str], value: Mapping[str, Any]) -> None:
        endpoint = "/".join(path)
        self._call("pushing data", self._client.update_or_create_data, dict(value), endpoint)
        self._data.append(endpoint)

    def evaluate(self, path: Sequence[str], input_json: str | None) -> Any:
        import requests

        package, rule = "/".join(path[:-1]), path[-1]
        if os.getpid() != self._pid:  # a forked worker: its own connections, never the parent's sockets
            self._client, self._pid = self._connect(), os.getpid()
        try:
            value = json.loads(input_json) if input_json is not None else None
            body = self._call("evaluating", self._client.query_rule, value, package, rule)
        except requests.HTTPError as exc:
            raise PolicyRuntimeError(self._server_message(exc.response)) from None
        return body.get("result", UNDEFINED)

    def _server_message(self, response: Any) -> str:
        try:
            message = str(response.json().get("message", ""))
        except ValueError:
            message = ""
        message = re.sub(r"^\d+ errors? occurred:\s*", "", message) or f"OPA answered HTTP {response.status_code}"
        for policy_id, path in self._paths.items():
            message = message.replace(policy_id, path)
        return message

    def close(self) -> None:
        from opa_client.errors import DeleteDataError, DeletePolicyError

        try:
            for policy_id in reversed(self._pushed):
                with contextlib.suppress(DeletePolicyError):
                    self._client.delete_policy(policy_id)
            for endpoint in self._data:
                with contextlib.suppress(DeleteDataError):
                    self._client.delete_data(endpoint)
        except Exception:  # noqa: S110 (the scan's verdict stands even if the server went away meanwhile)
            pass
        finally:
            self._pushed, self._data = [], []
            self._client.close_connection()


# --- reading rules from the syntax tree -------------------------------------------------------------


@dataclass(frozen=True)
class RuleDefinition:
    """One definition of a rule (a rule may have several bodies / heads): where it is and what it builds."""

    package: str
    name: str
    path: str
    line: int
    fields: Mapping[str, Any] = field(default_factory=dict)
    """Literal string fields of the result object this definition yields (`id`, `domain`, ...)."""
    function: bool = False


def outline(modules: Sequence[PolicyModule]) -> list[RuleDefinition]:
    """Compile the modules with regorus and list their rule definitions; raises PolicyCompileError."""
    engine = EmbeddedRego()
    engine.load(modules)
    definitions = []
    for tree in engine.syntax_trees():
        path = str(tree.get("source", {}).get("file", ""))
        module = tree.get("ast", {})
        package = ".".join(_ref_parts(module.get("package", {}).get("refr")))
        for rule in module.get("rules", []):
            definition = _definition(rule, package, path)
            if definition is not None:
                definitions.append(definition)
    return definitions


def _ref_parts(node: Any) -> list[str]:
    """`a.b["c"]` as ["a", "b", "c"]; stops at a non-literal index."""
    if not isinstance(node, dict):
        return []
    if "Var" in node:
        return [str(node["Var"].get("value", ""))]
    if "RefDot" in node:
        dot = node["RefDot"]
        tail = dot.get("field")
        name = tail[1] if isinstance(tail, list) and len(tail) == 2 else ""
        return [*_ref_parts(dot.get("refr")), str(name)]
    if "RefBrack" in node:
        brack = node["RefBrack"]
        index = brack.get("index", {})
        parts = _ref_parts(brack.get("refr"))
        if isinstance(index, dict) and "String" in index:
            return [*parts, str(index["String"].get("value", ""))]
        return parts
    return []


def _root_name(node: Any) -> str:
    while isinstance(node, dict):
        if "Var" in node:
            return str(node["Var"].get("value", ""))
        inner = next((v for v in node.values() if isinstance(v, dict) and "refr" in v), None)
        node = inner["refr"] if inner is not None else None
    return ""


def _first_line(node: Any) -> int:
    for span in _spans(node):
        line = span.get("line")
        if isinstance(line, int):
            return line
    return 0


def _spans(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        span = node.get("span")
        if isinstance(span, dict):
            yield span
        for value in node.values():
            yield from _spans(value)
    elif isinstance(node, list):
        for value in node:
            yield from _spans(value)


def _definition(rule: Mapping[str, Any], package: str, path: str) -> RuleDefinition | None:
    if "Default" in rule:
        default = rule["Default"]
        return RuleDefinition(package, _root_name(default.get("refr")), path, _first_line(rule))
    spec = rule.get("Spec")
    if not isinstance(spec, dict):
        return None
    head = spec.get("head", {})
    (kind, shape), *_ = head.items() if isinstance(head, dict) and head else [("", {})]
    if not isinstance(shape, dict):
        return None
    name = _root_name(shape.get("refr"))
    line = _first_line(rule)
    if kind == "Func":
        return RuleDefinition(package, name, path, line, function=True)
    if kind == "Set":
        key = shape.get("key")
    else:  # `deny[{...}] if` (a multi-value head written with brackets) or `deny := {...} if`
        refr = shape.get("refr", {})
        key = refr.get("RefBrack", {}).get("index") if isinstance(refr, dict) and "RefBrack" in refr else None
        if key is None:
            key = (shape.get("assign") or {}).get("value")
    return RuleDefinition(package, name, path, line, _literal_fields(key, spec.get("bodies", [])))


def _literal_fields(key: Any, bodies: Any) -> dict[str, Any]:
    """String fields of the result: the head's object literal, or `v := {...}` in a body for head `v`."""
    if isinstance(key, dict) and "Object" in key:
        return _object_strings(key["Object"])
    if isinstance(key, dict) and "Var" in key:
        variable = key["Var"].get("value")
        for body in bodies if isinstance(bodies, list) else []:
            for statement in (body.get("query") or {}).get("stmts", []):
                expr = ((statement.get("literal") or {}).get("Expr") or {}).get("expr") or {}
                assign = expr.get("AssignExpr")
                if not isinstance(assign, dict):
                    continue
                lhs, rhs = assign.get("lhs") or {}, assign.get("rhs") or {}
                if lhs.get("Var", {}).get("value") == variable and "Object" in rhs:
                    return _object_strings(rhs["Object"])
    return {}


def _object_strings(obj: Mapping[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for entry in obj.get("fields", []):
        if not isinstance(entry, list) or len(entry) != 3:
            continue
        key, value = entry[1], entry[2]
        if isinstance(key, dict) and "String" in key:
            literal = value.get("String", {}).get("value") if isinstance(value, dict) and "String" in value else None
            found[str(key["String"].get("value"))] = literal
    return found
