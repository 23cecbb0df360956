"""Settings of the hub: defaults, loading from environment and TOML, validation, example policies."""
