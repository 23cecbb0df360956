"""The ``hub`` command line: one module per command group, gathered into one Click group.

The console script is :func:`app.hub_command`, which hands this package the app factory:
the command line sits below ``app.py`` and never imports it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping

import click
from flask import Flask
from flask.cli import FlaskGroup

from config.settings import SettingError
from hub.cli.care_plan import care_plan_group
from hub.cli.care_time import ccm_minutes_command
from hub.cli.fhir import export_care_plan_command, import_fhir_command
from hub.cli.log import export_log_command, rotate_keys_command, verify_log_command
from hub.cli.oncall import coverage_command, oncall_command
from hub.cli.ops import outbox_command, scheduler_command, seed_demo_command
from hub.cli.override import override_group, swap_group
from hub.cli.patients import patients_command
from hub.cli.plan_rule import plan_rule_group
from hub.cli.rotation import rotation_group
from hub.cli.schedule import import_schedule_command
from hub.cli.simulate import simulate
from hub.cli.staff import staff_group

AppFactory = Callable[[Mapping[str, object]], Flask]


@click.group(cls=FlaskGroup, add_default_commands=False, add_version_option=False,
             load_dotenv=False)
def cli() -> None:
    """The care-line hub: import care data and schedules, review and verify the contact log."""


for _command in (import_fhir_command, import_schedule_command, export_log_command,
                 verify_log_command, rotate_keys_command, simulate, outbox_command,
                 scheduler_command, seed_demo_command, oncall_command, coverage_command,
                 plan_rule_group, care_plan_group, ccm_minutes_command,
                 export_care_plan_command, rotation_group, override_group, swap_group,
                 patients_command, staff_group):
    cli.add_command(_command)


def run(create_app: AppFactory) -> None:
    """Run the command line on the apps ``create_app`` builds (settings from the environment)."""

    def command_app() -> Flask:
        try:
            # CLI commands run the tick themselves when they need it (hub scheduler).
            return create_app({"HUB_SCHEDULER": "off"})
        except SettingError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)

    cli.create_app = command_app
    cli(prog_name="hub")
