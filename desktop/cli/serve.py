"""`longwit serve`: the loaded model over the OpenAI API, for other tools on this machine (or, when
the person says so, on the network).

Loopback by default. Any other address is reachable from other machines, so it needs an API key
(`--api-key` or LONGWIT_API_KEY) or an explicit `--allow-unauthenticated`, and a warning says so
either way. The key is never printed or logged; the environment variable keeps it out of the
process list, where `--api-key` would show it.
"""

from __future__ import annotations

import contextlib
import string

import click

from desktop.cli.support import (
    ModelChoice,
    describe,
    fail,
    model_options,
    open_store,
    reports_errors,
    start_model,
)

DEFAULT_PORT = 8080  # llama.cpp's own server's: tools that expect a local OpenAI API often try it
KEY_CHARACTERS = set(string.ascii_letters + string.digits + string.punctuation)


def checked_key(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    """The key, or None when unset or empty; it must be sendable in an HTTP header as it is."""
    if not value:
        return None
    if not set(value) <= KEY_CHARACTERS:
        raise click.BadParameter("use letters, digits and punctuation only (no spaces)")
    return value


def exposure_notice(host: str, api_key: str | None, allow_unauthenticated: bool) -> str | None:
    """What to tell the person about who can reach the server; refuses an open one they did not
    ask for. None for a loopback address."""
    from engine.openai_api.server import is_loopback

    if is_loopback(host):
        return None
    if api_key is None and not allow_unauthenticated:
        fail(f"--host {host} is reachable from other machines: give an API key (--api-key, or the "
             "LONGWIT_API_KEY environment variable), or --allow-unauthenticated to serve without one.")
    guard = "an API key is required" if api_key else "WITHOUT an API key (--allow-unauthenticated)"
    return (f"Warning: serving on {host}: any machine that can reach this one can use the model; "
            f"{guard}.")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but loopback needs --api-key or "
                   "--allow-unauthenticated.")
@click.option("--port", type=click.IntRange(0, 65535), default=DEFAULT_PORT, show_default=True,
              help="Port to listen on (0: any free port, printed at start).")
@click.option("--api-key", envvar="LONGWIT_API_KEY", default=None, callback=checked_key,
              help="Require 'Authorization: Bearer KEY' on every request (better: set "
                   "LONGWIT_API_KEY, which the process list does not show).")
@click.option("--allow-unauthenticated", is_flag=True,
              help="Serve a non-loopback address without an API key.")
@click.option("--access-log/--no-access-log", default=True, show_default=True,
              help="Print a line per request (address, path, status; never the key).")
@model_options
@reports_errors
def serve(host: str, port: int, api_key: str | None, allow_unauthenticated: bool, access_log: bool,
          **model) -> None:
    """Serve the model over the OpenAI API (/v1/models, /v1/chat/completions, /v1/completions).

    Requests are answered one at a time on the model's thread, in order of arrival."""
    # Starlette and uvicorn load only for this command.
    from engine.openai_api.app import create_app
    from engine.openai_api.served_model import ServedModel
    from engine.openai_api.server import is_loopback, listen, url_of, uvicorn_server

    notice = exposure_notice(host, api_key, allow_unauthenticated)
    listener = listen(host, port)  # before the model loads: a taken port fails at once
    try:
        click.echo("Loading the model…", err=True)
        model_host, card = start_model(ModelChoice.from_options(**model), open_store())
        try:
            app = create_app(ServedModel(model_host), api_key, loopback_only=is_loopback(host))
            click.echo(describe(card), err=True)
            click.echo(f"Serving {card.name} over the OpenAI API at {url_of(listener)}/v1 "
                       f"({'API key required' if api_key else 'no API key'}); Ctrl-C stops.", err=True)
            if notice:
                click.secho(notice, err=True, fg="yellow")
            # uvicorn stops on Ctrl-C (or SIGTERM), then passes the signal on: here, a normal end.
            with contextlib.suppress(KeyboardInterrupt):
                uvicorn_server(app, access_log=access_log).run(sockets=[listener])
            click.echo("Stopped.", err=True)
        finally:
            model_host.close()
    finally:
        listener.close()
