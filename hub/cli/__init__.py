"""The ``hub`` command line: one module per command group, gathered into one Click group.

The console script is :func:`app.hub_command`, which hands this package the app factory:
the command line sits below ``app.py`` and never imports it. The group is a plain Click
group, not Flask's ``FlaskGroup``: it shows the hub's own options only, and it builds the
app (settings, generated keys, the database) only when a command runs, never for ``--help``
(FlaskGroup loads the app to list commands an app might add; the hub's are all here).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping

import click
from cryptography.fernet import InvalidToken
from flask import Flask
from flask.cli import ScriptInfo

from config.settings import SettingError
from hub import log_lines
from hub.cli.care_plan import care_plan_group
from hub.cli.care_time import ccm_minutes_command
from hub.cli.db import db_group
from hub.cli.fhir import export_care_plan_command, import_fhir_command
from hub.cli.fhir_feed import export_transitions_command, fhir_client_group
from hub.cli.log import export_log_command, rotate_keys_command, verify_log_command
from hub.cli.oncall import coverage_command, oncall_command
from hub.cli.ops import outbox_command, scheduler_command, seed_demo_command
from hub.cli.outreach import outreach_group, reminder_group
from hub.cli.override import override_group, swap_group
from hub.cli.patients import patients_command
from hub.cli.plan_rule import plan_rule_group
from hub.cli.quarantine import quarantine_group
from hub.cli.rotation import rotation_group
from hub.cli.schedule import import_schedule_command
from hub.cli.simulate import simulate
from hub.cli.staff import staff_group
from hub.cli.triage_feedback import triage_feedback_group

AppFactory = Callable[[Mapping[str, object]], Flask]


@click.group()
def cli() -> None:
    """The care-line hub: import care data and schedules, review and verify the contact log."""


for _command in (import_fhir_command, import_schedule_command, export_log_command,
                 verify_log_command, rotate_keys_command, simulate, outbox_command,
                 scheduler_command, seed_demo_command, oncall_command, coverage_command,
                 plan_rule_group, care_plan_group, ccm_minutes_command,
                 export_care_plan_command, rotation_group, override_group, swap_group,
                 patients_command, staff_group, db_group, quarantine_group,
                 fhir_client_group, export_transitions_command, triage_feedback_group,
                 outreach_group, reminder_group):
    cli.add_command(_command)


def run(create_app: AppFactory, args: list[str] | None = None) -> None:
    """Run the command line (``args``, else the process's) on the apps ``create_app`` builds
    (settings from the environment); exits."""

    def command_app() -> Flask:
        try:
            # CLI commands run the tick themselves when they need it (hub scheduler).
            app = create_app({"HUB_SCHEDULER": "off"})
        except SettingError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
        log_lines.configure(app.extensions["hub"].settings.log_level, events=False)
        return app

    # Each command's with_appcontext asks this for the app when (and only when) it runs.
    info = ScriptInfo(create_app=command_app, set_debug_flag=False, load_dotenv_defaults=False)
    try:
        cli.main(args, prog_name="hub", obj=info)
    except InvalidToken as exc:
        # The keys matched the database's check values at start, but this field was written
        # under a key the setting no longer holds (or was altered). Its name, never its text.
        click.echo(f"error: HUB_ENCRYPTION_KEYS: {exc or 'a stored field'} does not decrypt "
                   "with any of its keys; check that it holds every key data was written with "
                   "(an old key stays after the new one until `hub rotate-keys` has run)",
                   err=True)
        sys.exit(2)
