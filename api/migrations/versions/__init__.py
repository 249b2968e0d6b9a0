"""Migration scripts, applied in order by `api.migrate.upgrade`."""
