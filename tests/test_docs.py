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


# the commands that never open a warehouse: configuration, files, the application database (accounts, audit trail)
WITHOUT_WAREHOUSE = {("catalogue", "check"), ("catalogue", "indicators"), ("catalogue", "regions"),
                     ("catalogue", "article"), ("catalogue", "targets"), ("catalogue", "metadata"),
                     ("demo", "generate"), ("template",), ("audit", "verify"), ("audit", "export"),
                     ("users", "add"), ("users", "list"), ("users", "disable"), ("users", "set-password"),
                     ("users", "token"), ("users", "demo")}


@pytest.mark.parametrize("path,cmd", [(p, c) for p, c in ALL if not isinstance(c, click.Group)],
                         ids=[" ".join(p) for p, c in ALL if not isinstance(c, click.Group)])
def test_db_option_is_offered_exactly_where_a_warehouse_is_opened(path, cmd):
    takes_db = any(p.name == "db" for p in cmd.params)
    if tuple(path) in WITHOUT_WAREHOUSE:
        assert not takes_db, f"dem {' '.join(path)} opens no warehouse but offers --db"
    else:
        assert takes_db, f"dem {' '.join(path)} opens a warehouse but lacks --db"


@pytest.mark.parametrize("path,cmd", ALL, ids=[" ".join(p) for p, _ in ALL])
def test_every_year_and_folder_option_says_what_it_is(path, cmd):
    for param in cmd.params:
        if isinstance(param, click.Option) and param.name in ("year", "inbox", "archive", "quarantine"):
            assert (param.help or "").strip(), f"dem {' '.join(path)} --{param.name} has no help text"


def test_readme_names_every_option_of_every_command():
    readme = (project_root() / "README.md").read_text(encoding="utf-8")
    rows = [line for line in readme.splitlines() if line.startswith("| `dem ")]
    for path, cmd in ALL:
        name = f"dem {' '.join(path)}"
        row = next((r for r in rows if r.split("`")[1] == name or r.split("`")[1].startswith(name + " ")), None)
        if isinstance(cmd, click.Group) or row is None:  # the next test asks for the command itself
            continue
        options = {o for p in cmd.params if isinstance(p, click.Option) for o in p.opts if o.startswith("--")}
        for option in sorted(options - {"--db", "--help"}):
            assert option in row, f"README's row of `{name}` does not name {option}"


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
