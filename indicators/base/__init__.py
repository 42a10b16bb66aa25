"""Base layer: errors, settings (with the clock), periods, formulas, the region tree, the regulation and the
indicator catalogue — reference data and configuration. Imports nothing of the layers above."""
