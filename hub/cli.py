"""The ``hub`` command line: data in and out, log checks, key rotation, the simulator."""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import FlaskGroup

from config.settings import SettingError


def _create_app() -> Flask:
    from app import create_app

    try:
        # CLI commands run the tick themselves when they need it (hub scheduler).
        return create_app({"HUB_SCHEDULER": "off"})
    except SettingError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=False,
             add_version_option=False, load_dotenv=False)
def cli() -> None:
    """The care-line hub: import care data and schedules, review and verify the contact log."""


def _register() -> None:
    from hub.care_plan_commands import care_plan_group
    from hub.care_time_command import ccm_minutes_command
    from hub.fhir_command import import_fhir_command
    from hub.fhir_export_command import export_care_plan_command
    from hub.log_commands import export_log_command, rotate_keys_command, verify_log_command
    from hub.ops_commands import outbox_command, scheduler_command, seed_demo_command
    from hub.plan_rule_commands import plan_rule_group
    from hub.simulate import simulate
    from routing.oncall_commands import coverage_command, oncall_command
    from routing.override_commands import override_group, swap_group
    from routing.rotation_commands import rotation_group
    from routing.schedule_command import import_schedule_command

    for command in (import_fhir_command, import_schedule_command, export_log_command,
                    verify_log_command, rotate_keys_command, simulate, outbox_command,
                    scheduler_command, seed_demo_command, oncall_command, coverage_command,
                    plan_rule_group, care_plan_group, ccm_minutes_command,
                    export_care_plan_command, rotation_group, override_group, swap_group):
        cli.add_command(command)


_register()


def main() -> None:
    cli(prog_name="hub")
if __name__ == "__main__":
    main()
