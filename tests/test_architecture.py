"""The architecture is a checked contract: data flows one way — submission → etl → warehouse → engine →
dashboard, reports — and the imports follow it (pyproject.toml [tool.importlinter]). Inside `indicators`,
cli → engine → storage → base; the base package never imports the ETL or the dashboard; the dashboard never
imports the ETL; only command-line modules use the CLI.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_import_follows_the_layers_of_the_architecture():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--no-cache"], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]["contracts"]
    assert f"Contracts: {len(contracts)} kept, 0 broken." in result.stdout


def test_the_layers_of_indicators_are_its_sub_packages():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    layers = next(c for c in config["contracts"] if c["type"] == "layers")["layers"]
    for layer in layers:
        assert (ROOT / "indicators" / layer).is_dir() or (ROOT / "indicators" / f"{layer}.py").is_file(), layer
    loose = {p.stem for p in (ROOT / "indicators").glob("*.py")} - {"__init__", "__main__", "cli", "console"}
    assert loose == set(), f"modules of indicators/ outside its layers: {sorted(loose)}"
