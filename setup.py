"""What the wheel holds (everything else is in pyproject.toml): the three packages with their package data, and the
checkout's top-level config/, data/geo and data/reference carried as indicators/_bundled/<name>.

Those folders stay where they are in the checkout (and are read there when running from one); the wheel needs copies
because an installed product has no checkout. `indicators.base.resources` finds them (tests/test_package.py builds the
wheel, installs it outside the checkout and runs `dem` from it).
"""

from setuptools import find_namespace_packages, setup

# package in the wheel → folder of the checkout (the same names as indicators.base.resources.BUNDLED)
BUNDLED = {
    "indicators._bundled.config": "config",
    "indicators._bundled.geo": "data/geo",
    "indicators._bundled.reference": "data/reference",
}

setup(
    packages=find_namespace_packages(include=["etl", "etl.*", "indicators", "indicators.*", "dashboard",
                                              "dashboard.*"]) + list(BUNDLED),
    package_dir=BUNDLED,
    package_data={
        "dashboard.assets": ["*.js", "*.css"],
        "indicators._bundled.config": ["*.toml", "*.yaml", "*.csv", "regulation_seed.txt"],
        "indicators._bundled.geo": ["*.geojson", "README.md"],  # README.md: the boundaries' MIT licence
        "indicators._bundled.reference": ["*.csv", "README.md"],  # README.md: sources of the real figures
    },
)
