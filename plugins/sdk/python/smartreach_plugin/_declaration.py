"""What a plugin says about itself at load: `declare()`'s answer."""

from __future__ import annotations

from dataclasses import dataclass, field

#: The event type pattern that matches every event.
ALL_EVENTS = "*"


@dataclass(frozen=True)
class ConfigKey:
    """A configuration key the plugin reads with `config()`."""

    #: The key, as written under `[config]` in the manifest.
    name: str
    #: What it is for.
    description: str
    #: The value used when the manifest sets none.
    default: str | None = None
    #: Whether the plugin cannot work without it (the host refuses to load it otherwise).
    required: bool = False


@dataclass(frozen=True)
class Declaration:
    """What `declare()` returns."""

    #: The event types handled: documented names, other names as SmartReach sends them, or `*`.
    event_types: list[str]
    #: One line about what the plugin does.
    description: str = ""
    #: The configuration keys the plugin reads.
    config: list[ConfigKey] = field(default_factory=list)
