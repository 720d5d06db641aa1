"""`longwit docs limits`: the reading limits, shown and raised (or put back with --default)."""

from __future__ import annotations

import click

from desktop.cli.support import for_this_command, reports_errors
from media.read_limits import LIMIT_SETTINGS, set_limit, stored_limits
from storage import open_database
from storage.settings import SettingsStore

OPTIONS = {setting.key: setting.key.removeprefix("read.").replace("_", "-") for setting in LIMIT_SETTINGS}


def limit_options(command):
    for setting in reversed(LIMIT_SETTINGS):
        command = click.option(f"--{OPTIONS[setting.key]}", setting.key.replace(".", "_"),
                               type=click.FloatRange(min=0, min_open=True),
                               help=f"The {setting.label}.")(command)
    return command


@click.command(name="limits")
@limit_options
@click.option("--default", "defaults", is_flag=True, help="Put every limit back to its default.")
@reports_errors
def limits(defaults: bool, **values: float | None) -> None:
    """How large a file Longwit reads: shown, or changed with the options. A file over a limit is
    refused with a line that names it; raise the limit to read it."""
    settings = SettingsStore(for_this_command(open_database()))
    for setting in LIMIT_SETTINGS:
        value = values.get(setting.key.replace(".", "_"))
        if defaults:
            set_limit(settings, setting.key, None)
        elif value is not None:
            set_limit(settings, setting.key, value)
    current = stored_limits(settings)
    for setting in LIMIT_SETTINGS:
        click.echo(f"{setting.label:<45} {setting.shown(current):>10,g}   --{OPTIONS[setting.key]}")
