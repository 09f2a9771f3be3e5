"""Log lines through the host, which tags them with the plugin's name and keeps them with the
attempt."""


def _log(level: str, message: str) -> None:
    # Imported here: the bindings exist only inside the component (the SDK's pure parts, such as
    # event decoding, also run natively, for tests).
    from wit_world.imports import host
    from wit_world.imports.smartreach_plugin_types import Level

    host.log(Level[level], message)


def trace(message: str) -> None:
    """Logs `message` at trace level."""
    _log("TRACE", message)


def debug(message: str) -> None:
    """Logs `message` at debug level."""
    _log("DEBUG", message)


def info(message: str) -> None:
    """Logs `message` at info level."""
    _log("INFO", message)


def warn(message: str) -> None:
    """Logs `message` at warn level."""
    _log("WARN", message)


def error(message: str) -> None:
    """Logs `message` at error level."""
    _log("ERROR", message)
