"""示例数据 — `dem demo`: a synthetic panel of every submittable indicator (panel.py: bases and parameters;
series.py: one simulator per kind of series), written as submission files (files.py), and the demo warehouse
built from data/reference/ and those files through the production loader (warehouse.py). Same seed, same bytes.
"""

from etl.demo.files import generate
from etl.demo.panel import DEFAULT_SEED
from etl.demo.warehouse import BuildReport, build

__all__ = ["DEFAULT_SEED", "BuildReport", "build", "generate"]
