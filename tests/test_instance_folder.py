"""A user runs ``hub`` from any folder and reaches the same instance (keys, SQLite database):
the one ``python app.py`` made in the project's folder. Asking for help creates nothing."""

from __future__ import annotations

import subprocess
from pathlib import Path

import click
import pytest

from tests.conftest import HUB_COMMAND, copy_of_checkout, user_env


def everything_under(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*"))


@pytest.fixture
def project(tmp_path):
    """A fresh checkout of the project, as a newcomer clones it (nothing run yet)."""
    return copy_of_checkout(tmp_path / "careline-hub")


def hub_in(project: Path, cwd: Path, *args: str, **settings: str):
    """The real ``hub`` console script, run from ``cwd`` on ``project``'s code."""
    cwd.mkdir(parents=True, exist_ok=True)
    env = user_env(project.parent, PYTHONPATH=str(project), **settings)
    return subprocess.run([HUB_COMMAND, *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)


def test_hub_help_creates_no_keys_and_no_database(project, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    for args in (["--help"], [], ["import-fhir", "--help"], ["care-plan", "show", "--help"]):
        result = hub_in(project, elsewhere, *args)
        assert result.returncode in (0, 2) and "Usage: hub" in result.stdout + result.stderr
        assert "generated /" not in result.stderr and "new database" not in result.stderr
    assert not (project / "instance").exists()
    assert everything_under(elsewhere) == []
    assert everything_under(tmp_path / "home") == []


def test_no_commands_help_builds_the_app(monkeypatch, capsys):
    from hub import cli

    def no_app(_overrides):
        raise AssertionError("--help built the app (settings, keys, database)")

    def every_command(group: click.Group, path: tuple[str, ...] = ()):
        for name, command in group.commands.items():
            yield (*path, name)
            if isinstance(command, click.Group):
                yield from every_command(command, (*path, name))

    paths = list(every_command(cli.cli))
    assert ("care-plan", "show") in paths and len(paths) > 20
    for path in paths:
        with pytest.raises(SystemExit) as done:
            cli.run(no_app, [*path, "--help"])
        assert done.value.code == 0, path
        assert f"Usage: hub {' '.join(path)}" in capsys.readouterr().out


def test_hub_help_shows_only_the_hubs_own_options(project, tmp_path):
    shown = hub_in(project, tmp_path / "elsewhere", "--help").stdout
    assert "import-fhir" in shown and "--help" in shown
    for flask_option in ("--env-file", "--app", "--debug", "--version", "-A,", "-e,"):
        assert flask_option not in shown, flask_option


def test_a_command_run_from_another_folder_uses_the_projects_database(project, tmp_path):
    # In the project's folder, as the README starts: the demo practice.
    seeded = hub_in(project, project, "seed-demo")
    assert seeded.returncode == 0, seeded.stderr
    database = project / "instance" / "hub.db"
    assert database.exists()
    assert f"new database sqlite:///{database}" in seeded.stderr

    # Then from /tmp-like folders: the same practice, the same on-call nurse, no new instance.
    elsewhere = tmp_path / "elsewhere"
    oncall = hub_in(project, elsewhere, "oncall")
    assert oncall.returncode == 0, oncall.stderr
    assert "Ben Okafor" in oncall.stdout and "nobody" not in oncall.stdout.split("\n")[1]
    assert "new database" not in oncall.stderr and "generated" not in oncall.stderr
    assert everything_under(elsewhere) == []


def test_an_installed_hub_keeps_its_instance_in_the_users_data_folder(tmp_path):
    # pip install . (not editable): no checkout holds app.py, so no project folder.
    installed = copy_of_checkout(tmp_path / "site-packages",
                                 parts=("app.py", "config", "hub", "messages", "routing"))
    first = hub_in(installed, tmp_path / "one", "seed-demo")
    assert first.returncode == 0, first.stderr
    data = tmp_path / "home" / ".local" / "share" / "careline-hub"
    assert f"new database sqlite:///{data / 'hub.db'}" in first.stderr
    assert (data / "encryption.key").exists()
    assert "Ben Okafor" in hub_in(installed, tmp_path / "two", "oncall").stdout
    assert not (installed / "instance").exists()


def test_a_read_only_project_folder_sends_the_instance_to_the_users_data_folder(
        tmp_path, monkeypatch):
    from config import instance

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    project = instance.PROJECT_DIR
    assert project is not None and (project / "app.py").is_file()
    real_access = instance.os.access
    monkeypatch.setattr(instance.os, "access", lambda path, mode: (
        False if Path(path) in (project, project / "instance") else real_access(path, mode)))
    assert instance.find_instance_dir({}) == tmp_path / "data" / "careline-hub"


def test_hub_instance_dir_is_taken_as_given(tmp_path):
    from config import instance

    assert instance.find_instance_dir({"HUB_INSTANCE_DIR": str(tmp_path / "x")}) == tmp_path / "x"
