"""A local stand-in for an OPA server: the REST Policy and Data API calls govscan makes, over real HTTP.

No `opa` binary can be installed here, so this threaded http.server speaks OPA's wire format
(https://www.openpolicyagent.org/docs/rest-api) for the endpoints opa-python-client uses and
evaluates with regorus, a real Rego engine:

- GET /v1/policies, GET|PUT|DELETE /v1/policies/{id}  (PUT compiles every module; 400 with
  OPA's `errors[].location` on a parse error)
- PUT|DELETE /v1/data/{path}, POST /v1/data/{path} with {"input": ...}  ({"result": v}, {} when
  undefined, 500 `internal_error` when evaluation fails, as OPA answers)

Every request is recorded in `requests` so tests can check what govscan pushed and removed. A
regorus engine belongs to the thread that made it, so each request compiles its own.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

import regorus

_LOCATION = re.compile(r"-->\s*(?P<file>.+):(?P<row>\d+):(?P<col>\d+)\s*$", re.MULTILINE)
_MESSAGE = re.compile(r"^error:\s*(?P<message>.+)$", re.MULTILINE)


class CompileError(Exception):
    def __init__(self, text: str) -> None:
        where, said = _LOCATION.search(text), _MESSAGE.search(text)
        self.file = where.group("file") if where else ""
        self.row = int(where.group("row")) if where else 0
        self.col = int(where.group("col")) if where else 0
        self.message = said.group("message") if said else text.strip().splitlines()[0]
        super().__init__(self.message)


class FakeOpa:
    def __init__(self) -> None:
        self.policies: dict[str, str] = {}
        self.data: dict[str, Any] = {}
        self.requests: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    # --- what a real OPA keeps: modules and base documents ---

    def _build(self, policies: dict[str, str]) -> Any:
        engine = regorus.Engine()
        for policy_id, raw in sorted(policies.items()):
            try:
                engine.add_policy(policy_id, raw)
            except RuntimeError as exc:
                raise CompileError(str(exc).split("Stack backtrace:")[0]) from None
        engine.add_data_json(json.dumps(self.data))
        return engine

    def put_policy(self, policy_id: str, raw: str) -> None:
        with self._lock:
            candidate = {**self.policies, policy_id: raw}
            self._build(candidate)
            self.policies = candidate

    def evaluate(self, path: list[str], value: Any) -> dict[str, Any]:
        """OPA's answer body: {"result": value}, or {} when the reference is undefined."""
        with self._lock:
            engine = self._build(self.policies)
            engine.set_input_json(json.dumps(value))
            ref = "data" + "".join(f".{p}" for p in path)
            try:
                results = json.loads(engine.eval_query_as_json(ref)).get("result") or []
            except RuntimeError as exc:
                error = CompileError(str(exc).split("Stack backtrace:")[0])
                raise RuntimeError(f"1 error occurred: {error.file}:{error.row}: {error.message}") from None
            return {"result": results[0]["expressions"][0]["value"]} if results else {}

    def _data_node(self, path: list[str], create: bool) -> tuple[dict[str, Any] | None, str]:
        node: Any = self.data
        for key in path[:-1]:
            if key not in node:
                if not create:
                    return None, path[-1]
                node[key] = {}
            node = node[key]
        return node, path[-1]

    def put_data(self, path: list[str], value: Any) -> None:
        with self._lock:
            node, key = self._data_node(path, create=True)
            assert node is not None
            node[key] = value

    def delete_data(self, path: list[str]) -> bool:
        with self._lock:
            node, key = self._data_node(path, create=False)
            if node is None or key not in node:
                return False
            del node[key]
            return True

    # --- HTTP ---

    def handler(self) -> type[BaseHTTPRequestHandler]:
        opa = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _send(self, status: int, body: Any = None) -> None:
                payload = b"" if body is None else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def _body(self) -> bytes:
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def _route(self) -> tuple[str, str]:
                path = unquote(urlsplit(self.path).path)
                opa.requests.append((self.command, path))
                for prefix in ("/v1/policies", "/v1/data"):
                    if path == prefix or path.startswith(prefix + "/"):
                        return prefix, path[len(prefix) :].strip("/")
                return "", path

            def do_GET(self) -> None:
                api, rest = self._route()
                if api == "/v1/policies" and not rest:
                    listing = [{"id": i, "raw": raw, "ast": {}} for i, raw in sorted(opa.policies.items())]
                    self._send(200, {"result": listing})
                elif api == "/v1/policies" and rest in opa.policies:
                    self._send(200, {"result": {"id": rest, "raw": opa.policies[rest], "ast": {}}})
                elif api == "/v1/policies":
                    self._send(
                        404, {"code": "resource_not_found", "message": f"storage_not_found_error: policy id {rest!r}"}
                    )
                else:
                    self._send(404, {"code": "resource_not_found", "message": "not found"})

            def do_PUT(self) -> None:
                api, rest = self._route()
                body = self._body()
                if api == "/v1/policies" and rest:
                    try:
                        opa.put_policy(rest, body.decode("utf-8"))
                    except CompileError as exc:
                        error = {
                            "code": "rego_parse_error",
                            "message": exc.message,
                            "location": {"file": exc.file, "row": exc.row, "col": exc.col},
                        }
                        self._send(
                            400,
                            {
                                "code": "invalid_parameter",
                                "message": "error(s) occurred while compiling module(s)",
                                "errors": [error],
                            },
                        )
                        return
                    self._send(200, {})
                elif api == "/v1/data" and rest:
                    opa.put_data(rest.split("/"), json.loads(body))
                    self._send(204)
                else:
                    self._send(400, {"code": "invalid_parameter", "message": "bad path"})

            def do_DELETE(self) -> None:
                api, rest = self._route()
                if api == "/v1/policies" and rest in opa.policies:
                    with opa._lock:
                        del opa.policies[rest]
                    self._send(200, {})
                elif api == "/v1/data" and rest and opa.delete_data(rest.split("/")):
                    self._send(204)
                else:
                    self._send(404, {"code": "resource_not_found", "message": f"storage_not_found_error: {rest!r}"})

            def do_POST(self) -> None:
                api, rest = self._route()
                if api != "/v1/data":
                    self._send(404, {"code": "resource_not_found", "message": "not found"})
                    return
                value = json.loads(self._body() or b"{}").get("input")
                try:
                    answer = opa.evaluate([p for p in rest.split("/") if p], value)
                except RuntimeError as exc:
                    self._send(500, {"code": "internal_error", "message": str(exc)})
                    return
                self._send(200, answer)

        return Handler


@contextmanager
def running(opa: FakeOpa | None = None) -> Iterator[tuple[FakeOpa, str]]:
    """Serve on a free loopback port for the duration of the block: (server state, base URL)."""
    opa = opa or FakeOpa()
    server = ThreadingHTTPServer(("127.0.0.1", 0), opa.handler())
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield opa, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
