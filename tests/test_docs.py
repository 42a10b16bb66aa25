"""Documentation stays true: every CLI command has help, every setting and CLI command is in the README."""

from __future__ import annotations

import tomllib

import click
import pytest
from click.testing import CliRunner

from indicators.base.settings import config_dir, project_root
from indicators.cli import dem


def _commands(group: click.Group, ctx: click.Context, prefix: tuple[str, ...] = ()):
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        yield (*prefix, name), cmd
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, click.Context(cmd, parent=ctx), (*prefix, name))


ALL = list(_commands(dem, click.Context(dem)))


@pytest.mark.parametrize("path,cmd", ALL, ids=[" ".join(p) for p, _ in ALL])
def test_every_command_has_help(path, cmd):
    assert (cmd.help or "").strip(), f"dem {' '.join(path)} has no help text"
    result = CliRunner().invoke(dem, [*path, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output


def test_every_command_takes_db_option():
    for path, cmd in ALL:
        if not isinstance(cmd, click.Group):
            assert any(p.name == "db" for p in cmd.params), f"dem {' '.join(path)} lacks --db"


def test_readme_documents_every_leaf_command_and_setting():
    readme = (project_root() / "README.md").read_text(encoding="utf-8")
    for path, cmd in ALL:
        if not isinstance(cmd, click.Group):
            assert f"dem {' '.join(path)}" in readme, f"README does not mention `dem {' '.join(path)}`"
    settings = tomllib.loads((config_dir() / "settings.toml").read_text(encoding="utf-8"))
    for section, keys in settings.items():
        for key in keys:
            assert f"`{key}`" in readme, f"README does not document setting [{section}] {key}"
    for word in ("make run", "make test", "exit code", "DEM_DB"):
        assert word.lower() in readme.lower()
