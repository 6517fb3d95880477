"""The suite runs offline: outbound connections and lookups are refused, loopback works, in this
process and in the Python subprocesses tests start."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.request import urlopen

import govscan_offline
import pytest


@pytest.mark.parametrize("address", [("192.0.2.10", 443), ("8.8.8.8", 53), ("2001:db8::1", 443)])
def test_outbound_connections_are_refused(address: tuple[str, int]) -> None:
    family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock, pytest.raises(govscan_offline.OutboundBlocked):
        sock.connect(address)
    with pytest.raises(ConnectionRefusedError, match="tests run offline"):
        socket.create_connection(("192.0.2.10", 443), timeout=1)


def test_name_lookups_are_refused_but_localhost_resolves() -> None:
    with pytest.raises(socket.gaierror, match="no name lookup for 'example.com'"):
        socket.getaddrinfo("example.com", 443)
    assert socket.getaddrinfo("localhost", 80)


def test_udp_to_the_network_is_refused() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock, pytest.raises(govscan_offline.OutboundBlocked):
        sock.sendto(b"x", ("192.0.2.10", 53))


def test_a_loopback_server_started_by_a_test_still_answers() -> None:
    class Hello(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"hello")

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Hello)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with urlopen(f"http://127.0.0.1:{server.server_port}/", timeout=5) as response:  # noqa: S310
            assert response.read() == b"hello"
    finally:
        server.shutdown()
        server.server_close()


def test_python_subprocesses_run_offline_too() -> None:
    code = (
        "import socket\n"
        "try:\n"
        "    socket.create_connection(('192.0.2.10', 443), timeout=1)\n"
        "except ConnectionRefusedError as exc:\n"
        "    print(type(exc).__name__, exc)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.startswith("OutboundBlocked ")
    assert "192.0.2.10" in result.stdout
