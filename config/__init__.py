"""Settings of the hub: defaults, environment and TOML loading, validation, example policies."""
