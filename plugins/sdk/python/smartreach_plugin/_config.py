"""The plugin's configuration: the manifest's `[config]` values, else the declared defaults."""

from __future__ import annotations


class ConfigError(ValueError):
    """A configuration value the plugin needs is missing or malformed."""


def config(name: str) -> str | None:
    """The configuration value `name`, or `None` when neither the manifest nor a default sets it."""
    from wit_world.imports import host  # only inside the component

    return host.config(name)


def config_required(name: str) -> str:
    """The configuration value `name`; raises `ConfigError` naming the key when it is not set."""
    value = config(name)
    if value is None:
        raise ConfigError(f"config key `{name}` is not set; set it under [config] in the plugin's manifest")
    return value


def config_int(name: str) -> int | None:
    """The configuration value `name` as an integer (surrounding space ignored); `None` when unset."""
    value = config(name)
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        raise ConfigError(f"config key `{name}` has an invalid value `{value}`: not an integer") from None
