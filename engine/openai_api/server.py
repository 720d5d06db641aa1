"""Where the API listens, and uvicorn serving it there. The socket is bound here rather than by
uvicorn, so that a taken port or an unknown address is a typed error (one line on the command line)
before anything is served, and so that tests can bind port 0 and know the port they got."""

from __future__ import annotations

import errno
import ipaddress
import socket

import uvicorn
from starlette.types import ASGIApp

from engine.openai_api.errors import CannotListen

# After Ctrl-C, streams still open get this long to end before uvicorn cancels them (which cancels
# their generation); without it, one long answer would hold the shutdown until it finished.
SHUTDOWN_GRACE_S = 2


def is_loopback(host: str) -> bool:
    """Whether `host` is reachable only from this machine (127.0.0.0/8, ::1, localhost). A name
    other than localhost counts as reachable from elsewhere: it may resolve to anything."""
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def listen(host: str, port: int) -> socket.socket:
    """A socket bound to `host`:`port` and listening (port 0: any free port)."""
    try:
        family, kind, protocol, _, address = socket.getaddrinfo(
            host.strip("[]"), port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    except socket.gaierror as error:
        raise CannotListen(host, port, f"the address is not known ({error.strerror})") from error
    listener = socket.socket(family, kind, protocol)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(address)
        listener.listen(socket.SOMAXCONN)
    except OSError as error:
        listener.close()
        reason = error.strerror or str(error)
        if error.errno == errno.EADDRINUSE:
            reason = "the port is taken by another program; choose another with --port"
        raise CannotListen(host, port, reason) from error
    return listener


def url_of(listener: socket.socket) -> str:
    host, port = listener.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def uvicorn_server(app: ASGIApp, log_level: str = "info", access_log: bool = True) -> uvicorn.Server:
    """A uvicorn server for `app`; `.run(sockets=[listen(…)])` serves until Ctrl-C (or until
    `should_exit` is set, from another thread)."""
    config = uvicorn.Config(app, log_level=log_level, access_log=access_log, lifespan="off",
                            server_header=False, timeout_graceful_shutdown=SHUTDOWN_GRACE_S)
    return uvicorn.Server(config)
