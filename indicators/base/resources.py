"""The files that ship with the code: the default config/, the boundaries (data/geo), the real reference figures
(data/reference).

A checkout keeps them at its top level and they are read where they stand. A wheel carries copies as
`indicators/_bundled/<name>/` (setup.py maps the folders in), found through importlib.resources, so an installed
product needs no checkout: `pip install beijiang_dem-….whl` then `dem catalogue check` works anywhere.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path

from indicators.base.errors import ConfigError

# name → its folder in a checkout; setup.py maps the same folders to indicators/_bundled/<name> in the wheel
BUNDLED = {"config": "config", "geo": "data/geo", "reference": "data/reference"}


def checkout() -> Path | None:
    """The source checkout the code runs from (editable install, PYTHONPATH), None when installed from a wheel:
    indicators/base/resources.py two levels below a folder holding pyproject.toml and config/."""
    root = Path(__file__).resolve().parents[2]
    return root if (root / "pyproject.toml").is_file() and (root / "config").is_dir() else None


def bundled(name: str) -> Path:
    """The folder of a shipped resource (`config`, `geo`, `reference`): the checkout's, else the wheel's copy."""
    root = checkout()
    if root is not None:
        return root / BUNDLED[name]
    folder = importlib.resources.files("indicators") / "_bundled" / name
    if not isinstance(folder, Path) or not folder.is_dir():  # a zipped or incomplete install
        raise ConfigError(f"缺少随程序分发的文件夹 {name} | the bundled folder {name!r} is missing from the installed "
                          f"package ({folder}); reinstall the wheel")
    return folder
