"""The component's entry module for componentize-py: exports the contract's `handler`,
implemented by the plugin module `plugin` (see `smartreach_plugin._export`).

Everything the plugin may import at run time is imported here: componentize-py snapshots the
interpreter after this module is loaded, and a plugin instance has no filesystem to import
from later. So are the bindings the SDK imports lazily (they exist only inside the component;
the SDK's pure parts also run natively, for tests).
"""

import wit_world.imports.host  # noqa: F401
import wit_world.imports.outgoing_handler  # noqa: F401
import wit_world.imports.smartreach_plugin_types  # noqa: F401
import wit_world.imports.streams  # noqa: F401
import wit_world.imports.wasi_http_types  # noqa: F401

from smartreach_plugin._export import Handler, load_plugin

load_plugin()

__all__ = ["Handler"]
