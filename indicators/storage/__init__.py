"""Storage layer: the DuckDB warehouse — schema and migrations, read-only readers, the locked writer that
publishes by rename. Imports only the base layer; what happens at publish is handed to it (on_publish)."""
