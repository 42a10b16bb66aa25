"""`--format json` keeps its promise: every command that prints data is run against a real warehouse and its output
checked against the JSON Schema documented for it in docs/cli-json.md; its `--format csv` is one header row and rows
of that width."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
from pathlib import Path

import click
import pytest
from helpers import SUBMISSIONS, add_user, make_warehouse, run_dem, settings_for

from indicators.base.catalogue import default_catalogue
from indicators.base.settings import project_root
from indicators.cli import dem

GOOD = SUBMISSIONS / "good" / "long-utf8-en-formA-plain-lf.csv"
BAD = SUBMISSIONS / "bad" / "gb18030-unknown-region-crlf.csv"
BASE = SUBMISSIONS / "base" / "base.csv"


# ── the schemas, read from the document ─────────────────────────────────────────────────────────────

def _schemas() -> tuple[dict[str, dict], dict]:
    """{'dem etl check': schema, …} and the shared $defs: the ```json block after each "### `dem …`" heading."""
    text = (project_root() / "docs" / "cli-json.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^### `(dem [^`]+)`\n.*?```json\n(.*?)```", text, flags=re.S | re.M)
    shared = re.search(r"^## Shared definitions\n.*?```json\n(.*?)```", text, flags=re.S | re.M)
    return {name: json.loads(body) for name, body in blocks}, json.loads(shared.group(1))["$defs"]


SCHEMAS, DEFS = _schemas()
TYPES = {"string": lambda v: isinstance(v, str), "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
         "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
         "boolean": lambda v: isinstance(v, bool), "null": lambda v: v is None,
         "array": lambda v: isinstance(v, list), "object": lambda v: isinstance(v, dict)}


def violations(value, schema: dict, where: str = "$") -> list[str]:
    """What in `value` breaks `schema`: the JSON Schema keywords docs/cli-json.md uses (type, enum, required,
    properties, additionalProperties, items, minItems, maxItems, allOf, $ref to the shared $defs) — jsonschema is
    not a dependency of the project."""
    if "$ref" in schema:
        return violations(value, DEFS[schema["$ref"].removeprefix("#/$defs/")], where)
    found = [v for part in schema.get("allOf", []) for v in violations(value, part, where)]
    if "enum" in schema and value not in schema["enum"]:
        found.append(f"{where}: {value!r} is not one of {schema['enum']}")
    types = schema.get("type", [])
    if types and not any(TYPES[t](value) for t in ([types] if isinstance(types, str) else types)):
        return [*found, f"{where}: {value!r} is not {types}"]
    if isinstance(value, dict):
        found += [f"{where}: lacks {key!r}" for key in schema.get("required", []) if key not in value]
        properties = schema.get("properties", {})
        found += [v for key, sub in properties.items() if key in value for v in violations(value[key], sub,
                                                                                         f"{where}.{key}")]
        if isinstance(schema.get("additionalProperties"), dict):
            found += [v for key in value.keys() - properties.keys()
                      for v in violations(value[key], schema["additionalProperties"], f"{where}.{key}")]
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0) or len(value) > schema.get("maxItems", len(value)):
            found.append(f"{where}: {len(value)} items")
        found += [v for i, item in enumerate(value) for v in violations(item, schema.get("items", {}), f"{where}[{i}]")]
    return found


def assert_shape(name: str, stdout: str):
    """Parse `stdout` as JSON and check it against the schema of `name`; returns the document."""
    document = json.loads(stdout)
    problems = violations(document, SCHEMAS[name])
    assert not problems, f"{name} --format json breaks docs/cli-json.md:\n" + "\n".join(problems[:20])
    return document


def assert_one_header(stdout: str, columns: list[str] | None = None) -> list[dict]:
    """CSV with one header row (the given columns, when given) and every row as wide; returns the rows."""
    rows = list(csv.reader(io.StringIO(stdout)))
    assert rows and rows[0] and all(rows[0]), f"no header row: {stdout[:200]!r}"
    if columns is not None:
        assert rows[0] == columns
    assert all(len(row) == len(rows[0]) for row in rows[1:]), "rows of another width than the header (or blank)"
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


# ── the checker itself can fail ─────────────────────────────────────────────────────────────────────

def test_the_schema_checker_names_each_missing_key_and_wrong_type():
    schema = {"type": "array", "items": {"type": "object", "required": ["a", "b"],
                                         "properties": {"a": {"type": "integer"}, "c": {"enum": ["x"]}}}}
    assert violations([{"a": "1", "c": "y"}, {"a": True, "b": 1}], schema) == [
        "$[0]: lacks 'b'", "$[0].a: '1' is not integer", "$[0].c: 'y' is not one of ['x']",
        "$[1].a: True is not integer"]
    assert violations({"counts": {"rows": 3}}, {"$ref": "#/$defs/file_summary"})[0] == "$: lacks 'file'"


def _json_commands() -> list[str]:
    def walk(group: click.Group, ctx: click.Context, prefix: tuple[str, ...] = ()):
        for name in group.list_commands(ctx):
            cmd = group.get_command(ctx, name)
            if isinstance(cmd, click.Group):
                yield from walk(cmd, click.Context(cmd, parent=ctx), (*prefix, name))
            elif any(p.name == "fmt" and "json" in getattr(p.type, "choices", ()) and "table" in p.type.choices
                     for p in cmd.params):
                yield "dem " + " ".join((*prefix, name))

    return sorted(walk(dem, click.Context(dem)))


def test_every_command_with_format_json_has_its_schema_in_the_document_and_no_other():
    assert sorted(SCHEMAS) == _json_commands()


# ── read-only commands against one small released warehouse ─────────────────────────────────────────

@pytest.fixture(scope="module")
def released(tmp_path_factory) -> Path:
    """The good fixture loaded and released, and one account in the application database."""
    db = make_warehouse(tmp_path_factory.mktemp("cli-json"), files=[GOOD])
    add_user(settings_for(db).paths.app_db, "wang", "officer", "150100")
    return db


READ_ONLY = [("catalogue", "indicators"), ("catalogue", "regions"), ("catalogue", "targets"), ("catalogue", "metadata"),
             ("data", "batches"), ("indicators", "progress", "--year", "2023"), ("indicators", "index", "--year", "2023"),
             ("calendar", "overdue"), ("calendar", "show"), ("release", "list"), ("users", "list")]


@pytest.mark.parametrize("args", READ_ONLY, ids=[" ".join(a) for a in READ_ONLY])
def test_read_only_command_prints_json_of_its_documented_shape_and_csv_with_one_header(released, args):
    name = "dem " + " ".join(a for a in args if not a.startswith("--") and not a.isdigit())
    as_json = run_dem(*args, "--format", "json", db=released)
    assert as_json.returncode == 0, as_json.stderr
    records = assert_shape(name, as_json.stdout)
    assert records, f"{name} printed no records from a warehouse that has some"
    as_csv = run_dem(*args, "--format", "csv", db=released)
    assert as_csv.returncode == 0, as_csv.stderr
    assert len(assert_one_header(as_csv.stdout)) == len(records)


# ── intake ──────────────────────────────────────────────────────────────────────────────────────────

def test_etl_check_json_lists_every_problem_and_csv_gives_a_row_per_problem(tmp_path):
    db = make_warehouse(tmp_path)
    as_json = run_dem("etl", "check", str(GOOD), str(BAD), "--format", "json", db=db)
    assert as_json.returncode == 1, as_json.stderr
    good, bad = assert_shape("dem etl check", as_json.stdout)
    assert (good["status"], good["errors"], bad["status"]) == ("checked", 0, "checked")
    assert [(p["line"], p["column"], p["value"], p["rule"]) for p in bad["problems"]] == [
        (4, "地区", "青岛市", "unknown_region")]
    as_csv = run_dem("etl", "check", str(GOOD), str(BAD), "--format", "csv", db=db)
    rows = assert_one_header(as_csv.stdout, ["file", "status", "line", "column", "value", "rule", "severity",
                                             "message_zh", "message_en"])
    assert [(r["line"], r["rule"]) for r in rows if r["file"] == str(BAD)] == [("4", "unknown_region")]
    assert len(rows) == sum(max(1, len(f["problems"])) for f in (good, bad))  # a clean file: a row of its own
    # `text`, the earlier name of the table format, still works
    assert run_dem("etl", "check", str(GOOD), "--format", "text", db=db).stdout.startswith("✓")


def test_etl_load_json_names_the_batch_of_each_loaded_file(tmp_path):
    db = make_warehouse(tmp_path)
    result = run_dem("etl", "load", str(GOOD), "--format", "json", db=db)
    assert result.returncode == 0, result.stderr
    [loaded] = assert_shape("dem etl load", result.stdout)
    assert (loaded["status"], loaded["batch_id"]) == ("loaded", 1)
    again = run_dem("etl", "load", str(GOOD), "--format", "csv", db=db)
    assert {r["status"] for r in assert_one_header(again.stdout)} == {"duplicate"}


def _deliver(inbox: Path, files: list[Path]) -> None:
    inbox.mkdir(parents=True, exist_ok=True)
    for n, path in enumerate(files):
        shutil.copyfile(path, inbox / path.name)
        os.utime(inbox / path.name, (1_700_000_000 + n, 1_700_000_000 + n))
    (inbox / ".hidden.csv").write_text("x", encoding="utf-8")


def test_etl_run_json_tells_where_each_file_went_with_progress_on_standard_error_only(tmp_path):
    db = make_warehouse(tmp_path)
    _deliver(db.parent / "inbox", [GOOD, BAD])
    result = run_dem("etl", "run", "--format", "json", db=db)
    assert result.returncode == 1, result.stderr
    run = assert_shape("dem etl run", result.stdout)
    assert [(Path(f["file"]).name, f["status"], Path(f["moved_to"]).relative_to(db.parent).parts[0])
            for f in run["files"]] == [(GOOD.name, "loaded", "archive"), (BAD.name, "rejected", "quarantine")]
    assert [(s["name"], s["kind"]) for s in run["skipped"]] == [(".hidden.csv", "ignored")]
    assert run["exit_code"] == 1 and Path(run["log"]).exists()
    # not a terminal: a plain line per file with the seconds since the start, as `dem demo build` does
    assert re.search(rf"\[ +\d+\.\d s\] 1/2 {re.escape(GOOD.name)}\n", result.stderr), result.stderr
    assert f"2/2 {BAD.name}" in result.stderr


def test_etl_run_csv_is_a_row_per_file_and_quiet_prints_no_progress(tmp_path):
    db = make_warehouse(tmp_path)
    _deliver(db.parent / "inbox", [BAD])
    result = run_dem("etl", "run", "--format", "csv", "--quiet", db=db)
    rows = assert_one_header(result.stdout, ["kind", "name", "status", "batch_id", "errors", "warnings", "moved_to",
                                             "message_zh", "message_en"])
    assert [(r["kind"], Path(r["name"]).name, r["status"]) for r in rows] == [
        ("file", BAD.name, "rejected"), ("skipped", ".hidden.csv", "ignored")]
    assert "1/1" not in result.stderr


def test_demo_build_json_of_the_session_warehouse_has_its_documented_shape(demo_warehouse):
    report = assert_shape("dem demo build", (demo_warehouse.parent / "build.json").read_text(encoding="utf-8"))
    assert report["warehouse"] == str(demo_warehouse) and report["rejected"] == []
    assert report["counts"]["observations"] == report["counts"]["synthetic"] + report["counts"]["real"]


# ── releases ────────────────────────────────────────────────────────────────────────────────────────

def test_release_publish_and_due_print_the_releases_carried_out(tmp_path):
    db = make_warehouse(tmp_path, files=[GOOD], release=False)
    published = run_dem("release", "publish", "R2023", "--format", "json", db=db)
    assert published.returncode == 0, published.stderr
    [outcome] = assert_shape("dem release publish", published.stdout)
    assert outcome["release_id"] == "R2023"
    due = run_dem("release", "due", "--at", "2025-07-01T00:00", "--format", "json", db=db)
    assert due.returncode == 0, due.stderr
    ids = [o["release_id"] for o in assert_shape("dem release due", due.stdout)]
    assert "R2023" not in ids and "R2024" in ids
    none_due = run_dem("release", "due", "--at", "2025-07-01T00:00", "--format", "csv", db=db)
    assert none_due.stdout == "release_id,vintages,revising,batches\n"


def test_release_correct_json_counts_the_revised_values(tmp_path):
    from etl.pipeline import load_files
    from indicators.storage import appdb

    db = make_warehouse(tmp_path, files=[GOOD])
    revision = tmp_path / "revision.csv"
    revision.write_text("indicator_code,region_code,period,value,unit,note,source\n"
                        "CX-01,150100,2023,3999,亿元,核实,统计局\n", encoding="utf-8")
    [loaded] = load_files([revision], default_catalogue(), settings_for(db))
    with appdb.opened(settings_for(db).paths.app_db) as con:
        appdb.record_review(con, loaded.batch_id, 0, "bureau", "accept", "analyst", "test", "核实")
    result = run_dem("release", "correct", str(loaded.batch_id), "--reason", "录入错误", "--format", "json", db=db)
    assert result.returncode == 0, result.stderr
    [outcome] = assert_shape("dem release correct", result.stdout)
    assert (outcome["revising"], outcome["batches"]) == (1, [loaded.batch_id])


# ── reports (Chromium renders the charts) ───────────────────────────────────────────────────────────

@pytest.fixture(scope="module")
def base_warehouse(tmp_path_factory) -> Path:
    return make_warehouse(tmp_path_factory.mktemp("cli-json-reports"), files=[BASE])


@pytest.mark.parametrize("args", [("report", "pdf", "--year", "2023"),
                                  ("report", "evaluation", "--year", "2023", "--region", "包头")],
                         ids=["report pdf", "report evaluation"])
def test_report_json_names_the_file_written(base_warehouse, args):
    result = run_dem(*args, "--format", "json", db=base_warehouse)
    assert result.returncode == 0, result.stderr
    [written] = assert_shape(f"dem {args[0]} {args[1]}", result.stdout)
    assert Path(written["path"]).is_file()


@pytest.mark.slow
def test_report_all_json_names_the_thirteen_bulletins_each_told_on_standard_error(base_warehouse, tmp_path):
    result = run_dem("report", "all", "--year", "2023", "--out-dir", str(tmp_path), "--format", "json",
                     db=base_warehouse)
    assert result.returncode == 0, result.stderr
    written = assert_shape("dem report all", result.stdout)
    assert len(written) == 13 and all(Path(w["path"]).is_file() for w in written)
    assert re.search(r"\[ +\d+\.\d s\] 13/13 ", result.stderr)
