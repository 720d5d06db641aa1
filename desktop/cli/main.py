"""The `longwit` command: the group, and the commands that only read (history); the others live in
one module per command group."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import click

from desktop.cli.backup import backup
from desktop.cli.bench import bench
from desktop.cli.chat import ask, chat
from desktop.cli.compress import compress
from desktop.cli.docs import docs
from desktop.cli.memory import memory
from desktop.cli.models import models
from desktop.cli.probe import probe
from desktop.cli.serve import serve
from desktop.cli.support import open_store, reports_errors, start_command_log
from desktop.cli.transfer import export, import_conversation
from desktop.cli.voice import voice

# They start the log themselves, in the data folder the window's settings choose (`app`), or not at
# all (`screenshots` works in a throwaway folder).
WINDOW_COMMANDS = ("app", "screenshots")


@click.group(invoke_without_command=True)
@click.version_option(package_name="longwit")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Longwit: a private companion for thinking with long material, running on your machine.

    With no command: the window when there is a display, else the command-line chat."""
    stop_like_ctrl_c_on_hangup()
    window = ctx.invoked_subcommand in WINDOW_COMMANDS
    if ctx.invoked_subcommand is None:
        from desktop.window.app import has_display

        window = has_display()
    if not window:
        start_command_log()
    if ctx.invoked_subcommand is None:
        ctx.invoke(app if window else chat)


@main.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path), default="screenshots")
def screenshots(folder: Path) -> None:
    """Render the window in its main states to PNG files in FOLDER."""
    from desktop.window.screenshots import take_screenshots

    for path in take_screenshots(folder, lambda line: click.echo(line, err=True)):
        click.echo(path)


@main.command()
def app() -> None:
    """Open the desktop window (what `longwit` does when there is a display)."""
    from desktop.window.app import run_window  # Qt loads only for the window

    sys.exit(run_window())


def interrupt(_signal: int, _frame: object) -> None:
    raise KeyboardInterrupt


def stop_like_ctrl_c_on_hangup() -> None:
    """A closed terminal (SIGHUP) or a polite kill (SIGTERM) stops an answer the way Ctrl-C does,
    so the part already written is saved as cut instead of lost."""
    for name in ("SIGHUP", "SIGTERM"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), interrupt)


@main.command()
@click.option("--search", "-s", "query", default=None, help="Full-text search over every message.")
@click.option("--id", "conversation_id", type=int, default=None, help="Show one conversation.")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@reports_errors
def history(query: str | None, conversation_id: int | None, limit: int) -> None:
    """List conversations, show one, or search them all."""
    store = open_store()
    if conversation_id is not None:
        conversation = store.get(conversation_id)
        click.echo(f"# {conversation.id}: {conversation.title or '(untitled)'}")
        for message in store.messages(conversation_id):
            mark = " [cut]" if message.cut else ""
            click.echo(f"\n{message.role}{mark} ({message.created[:19]}):\n{message.content}")
        return
    if query is not None:
        hits = store.search(query, limit=limit)
        if not hits:
            click.echo(f"Nothing found for {query!r}.")
        for hit in hits:
            click.echo(f"{hit.conversation_id:>5}  {hit.role:<9} {hit.snippet}  "
                       f"({hit.conversation_title})")
        return
    conversations = store.list(limit=limit)
    if not conversations:
        click.echo("No conversations yet; start one with `longwit chat`.")
    for conversation in conversations:
        when = conversation.updated[:16].replace("T", " ")
        title = conversation.title or "(untitled)"
        click.echo(f"{conversation.id:>5}  {when}  {conversation.message_count:>3} messages  {title}")


main.add_command(chat)
main.add_command(ask)
main.add_command(bench)
main.add_command(voice)
main.add_command(docs)
main.add_command(memory)
main.add_command(models)
main.add_command(probe)
main.add_command(compress)
main.add_command(serve)
main.add_command(export)
main.add_command(import_conversation)
main.add_command(backup)
