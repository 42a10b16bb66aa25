"""The dashboard (Dash app, figure builders) and the reports (PDF bulletin, CSV/XLSX) — readers of the warehouse.

This package reads the published warehouse through the indicator engine's API (`indicators.query`,
`indicators.progress`, `indicators.composite`, `indicators.audit`) and the catalogue; it never imports `etl`.
"""
