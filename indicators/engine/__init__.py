"""Engine layer: the derived layer (facts), the read API (query), progress, the composite index, the
precomputed results, audit, data quality, exports and method texts. Imports the storage and base layers."""
