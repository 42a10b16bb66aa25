"""Each cross-check of the catalogue fails on a broken config with an exact, actionable message."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from indicators.base.catalogue import load_catalogue
from indicators.base.errors import ConfigError


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture text not found in {path.name}: {old!r}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


# (what, [(file, old text, new text), …], exact problem message)
BREAKAGES = [
    ("unknown article", [("indicators.yaml", "  articles: [9, 11]\n  unit: 个\n", "  articles: [9, 99]\n  unit: 个\n")],
     "indicators.yaml: DI-01: cites article 99, which does not exist in the regulation"),
    ("article lost in the gap", [("indicators.yaml", "  articles: [9, 11]\n  unit: 个\n",
                                  "  articles: [9, 15]\n  unit: 个\n")],
     "indicators.yaml: DI-01: cites article 15, whose text is missing in the source"),
    ("no article 9", [("indicators.yaml", "  articles: [9, 11]\n  unit: 个\n", "  articles: [11]\n  unit: 个\n")],
     "indicators.yaml: DI-01: must cite Art. 9 (statistics and monitoring)"),
    ("formula with unknown code", [("indicators.yaml", 'formula: "{DI-01} / {CX-02}"', 'formula: "{DI-01} / {CX-99}"')],
     "indicators.yaml: DI-02: formula refers to unknown indicator CX-99"),
    ("unit without conversion", [("indicators.yaml", "  unit: 万户\n", "  unit: 万台\n")],
     "indicators.yaml: DI-04: unit '万台' has no entry in units.yaml (no conversion known)"),
    ("cycle among derived", [("indicators.yaml", 'formula: "{DI-03a} / {DI-03b} * 100"', 'formula: "{DI-07} / {DI-03b}"'),
                             ("indicators.yaml", 'formula: "{DI-07a} / {DI-06} * 100"', 'formula: "{DI-03} / {DI-06}"')],
     "indicators.yaml: cycle among derived indicators: DI-03 → DI-07 → DI-03"),
    ("weight unknown", [("indicators.yaml", '  aggregation: derived\n  formula: "{DI-09a} / {DI-09b}"',
                         "  aggregation: weighted_mean\n  weight: DI-55")],
     "indicators.yaml: DI-09: weight refers to unknown indicator DI-55"),
    ("target for unknown indicator", [("targets.csv", "DI-06,150000,2025,200000", "XX-06,150000,2025,200000")],
     "targets.csv: XX-06 150000 2025: target for unknown indicator XX-06"),
    ("official target without source", [("targets.csv", ">=,target,official,R,S18,", ">=,target,official,R,,")],
     "targets.csv: DI-06 150000 2025: an official target needs source_id, source_url and verification R or R*"),
    ("region tree broken", [("regions.csv", "152921,阿拉善左旗,Alxa Left Banner,county,旗,152900",
                             "152921,阿拉善左旗,Alxa Left Banner,county,旗,159900")],
     "regions.csv: county 152921 阿拉善左旗 has parent '159900', which is not a league"),
]


@pytest.mark.parametrize("content", ["foo,bar\n", "", "indicator_code;region_code;year;value\nDI-06;150000;2025;1\n"],
                         ids=["garbage-header", "empty", "wrong-separator"])
def test_a_targets_file_without_its_columns_is_a_problem_not_an_empty_list_of_targets(config_copy, content):
    (config_copy / "targets.csv").write_text(content, encoding="utf-8")
    problems = load_catalogue(config_copy, strict=False).problems
    assert any(p.startswith("targets.csv: missing column(s) indicator_code, region_code") for p in problems), problems


@pytest.mark.parametrize("what,edits,message", BREAKAGES, ids=[b[0] for b in BREAKAGES])
def test_broken_config_is_reported_with_exact_message(config_copy, what, edits, message):
    for file, old, new in edits:
        _edit(config_copy / file, old, new)
    assert message in load_catalogue(config_copy, strict=False).problems
    with pytest.raises(ConfigError, match="配置错误"):
        load_catalogue(config_copy, strict=True)


def test_shipped_catalogue_has_no_problems(catalogue):
    assert catalogue.problems == []


def _dem(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    import os
    return subprocess.run([sys.executable, "-m", "indicators", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=60)


def test_cli_check_passes_on_shipped_config():
    result = _dem("catalogue", "check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "catalogue consistent" in result.stdout


def test_cli_check_lists_every_problem_and_exits_1(config_copy):
    _edit(config_copy / "indicators.yaml", "  articles: [9, 11]\n  unit: 个\n", "  articles: [9, 99]\n  unit: 个\n")
    _edit(config_copy / "targets.csv", "DI-06,150000,2025,200000", "XX-06,150000,2025,200000")
    result = _dem("catalogue", "check", env={"DEM_CONFIG": str(config_copy)})
    assert result.returncode == 1
    assert "✗ indicators.yaml: DI-01: cites article 99, which does not exist in the regulation" in result.stdout
    assert "✗ targets.csv: XX-06 150000 2025: target for unknown indicator XX-06" in result.stdout
    assert "2 problem(s)" in result.stdout


def test_cli_other_commands_refuse_a_broken_config_with_exit_2(config_copy):
    _edit(config_copy / "indicators.yaml", "  unit: 万户\n", "  unit: 万台\n")
    result = _dem("catalogue", "indicators", env={"DEM_CONFIG": str(config_copy)})
    assert result.returncode == 2
    assert "配置错误" in result.stderr and "unit '万台' has no entry in units.yaml" in result.stderr


def test_a_department_without_an_english_name_is_a_catalogue_problem(config_copy):
    from indicators.base.catalogue import load_catalogue

    text = (config_copy / "departments.yaml").read_text(encoding="utf-8")
    (config_copy / "departments.yaml").write_text(text.replace("  卫健委: Health Commission\n", ""), encoding="utf-8")
    found = load_catalogue(config_copy, strict=False)
    assert any("departments.yaml: no English name for 卫健委" in p for p in found.problems)
    assert load_catalogue().indicator("DI-01").department_label("en") == "Communications Administration"
