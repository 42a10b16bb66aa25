"""Print constraints.txt: the exact versions installed in this environment of everything beijiang-dem[dev] needs,
its whole dependency closure and nothing else (`make constraints` writes it; `make setup` installs with it).

    .venv/bin/python .ci/constraints.py > constraints.txt
"""

from __future__ import annotations

import sys
from importlib.metadata import PackageNotFoundError, distribution

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = ("beijiang-dem", frozenset({"dev"}))


def closure() -> dict[str, str]:
    """name → installed version of every distribution reached from beijiang-dem[dev] (markers evaluated here)."""
    seen: dict[str, str] = {}
    visited = {ROOT}
    todo = [ROOT]
    while todo:
        name, extras = todo.pop()
        dist = distribution(name)
        for text in dist.requires or []:
            req = Requirement(text)
            if req.marker and not any(req.marker.evaluate({"extra": e}) for e in extras or {""}):
                continue
            key = canonicalize_name(req.name)
            try:
                version = distribution(req.name).version
            except PackageNotFoundError:
                sys.exit(f"{req.name} (required by {name}) is not installed: run make setup first")
            seen[key] = version
            if (key, frozenset(req.extras)) not in visited:
                visited.add((key, frozenset(req.extras)))
                todo.append((req.name, frozenset(req.extras)))
    return seen


if __name__ == "__main__":
    print("# Exact versions tested (make test) — regenerate with `make constraints` after changing dependencies.")
    for name, version in sorted(closure().items()):
        print(f"{name}=={version}")
