"""The test suite runs offline: outbound connections and name lookups are refused, loopback is not.

`install()` patches the socket module of this process: `socket.connect`, `connect_ex`, `sendto`,
`create_connection` and `getaddrinfo` refuse any address that is not loopback (127.0.0.0/8, ::1,
localhost); Unix sockets and loopback servers that tests start keep working. The conftest
installs it in the pytest process and, through `sitecustomize.py` beside this file on PYTHONPATH,
in every Python subprocess the tests start (the govscan CLI, workers). A refused call raises
`OutboundBlocked` (a ConnectionRefusedError, as on a machine without a network), naming the address.
"""

from __future__ import annotations

import errno
import ipaddress
import socket
from typing import Any

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})
_REAL: dict[str, Any] = {}


class OutboundBlocked(ConnectionRefusedError):
    """A test tried to reach the network; the suite must pass offline."""


def is_loopback(host: Any) -> bool:
    if host is None:
        return True  # getaddrinfo(None, port): the local wildcard / loopback
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    name = str(host).strip().lower().rstrip(".")
    if name in LOOPBACK_NAMES or name.endswith(".localhost") or name == "":
        return True
    try:
        return ipaddress.ip_address(name.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def _inet(sock: socket.socket) -> bool:
    return sock.family in (socket.AF_INET, socket.AF_INET6)


def _refuse(address: Any) -> OutboundBlocked:
    return OutboundBlocked(errno.ECONNREFUSED, f"tests run offline: outbound connection to {address!r} refused")


def _connect(self: socket.socket, address: Any) -> None:
    if _inet(self) and not is_loopback(address[0]):
        raise _refuse(address)
    _REAL["connect"](self, address)


def _connect_ex(self: socket.socket, address: Any) -> int:
    if _inet(self) and not is_loopback(address[0]):
        return errno.ECONNREFUSED
    result: int = _REAL["connect_ex"](self, address)
    return result


def _sendto(self: socket.socket, data: Any, *args: Any) -> int:
    address = args[-1]
    if _inet(self) and isinstance(address, tuple) and not is_loopback(address[0]):
        raise _refuse(address)
    result: int = _REAL["sendto"](self, data, *args)
    return result


def _create_connection(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
    if not is_loopback(address[0]):
        raise _refuse(address)
    connection: socket.socket = _REAL["create_connection"](address, *args, **kwargs)
    return connection


def _getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    if not is_loopback(host):
        try:
            ipaddress.ip_address(str(host).split("%", 1)[0])  # a literal address needs no lookup; connect refuses it
        except ValueError:
            raise socket.gaierror(socket.EAI_NONAME, f"tests run offline: no name lookup for {host!r}") from None
    return _REAL["getaddrinfo"](host, *args, **kwargs)


def install() -> None:
    """Idempotent: patch the socket module once per process."""
    if _REAL:
        return
    _REAL.update(
        connect=socket.socket.connect,
        connect_ex=socket.socket.connect_ex,
        sendto=socket.socket.sendto,
        create_connection=socket.create_connection,
        getaddrinfo=socket.getaddrinfo,
    )
    socket.socket.connect = _connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _connect_ex  # type: ignore[method-assign]
    socket.socket.sendto = _sendto  # type: ignore[method-assign, assignment]
    socket.create_connection = _create_connection
    socket.getaddrinfo = _getaddrinfo


def installed() -> bool:
    return socket.socket.connect is _connect and socket.getaddrinfo is _getaddrinfo
