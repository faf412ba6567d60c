"""equos-mock: a faithful, stateful fake of the Equos.ai v3 REST API.

A resource is declared once (``Resource``, ``Reference``; see ``mock_server.resource``); an app serves
the ``Catalog`` it is created with: ``create_app(settings, resources=DEFAULT_RESOURCES.with_(...))``.
"""

import importlib

from .version import __version__

__all__ = ["DEFAULT_RESOURCES", "Catalog", "ControlError", "MockControl", "MockServer", "Reference", "Resource",
           "RoomEvents", "Settings", "__version__", "create_app"]

# Loaded on first use, so `import mock_server` stays cheap for the CLI and the plugin.
_LAZY = {"create_app": (".app", "create_app"), "Catalog": (".resource", "Catalog"),
         "Reference": (".resource", "Reference"), "Resource": (".resource", "Resource"),
         "DEFAULT_RESOURCES": (".catalog", "DEFAULT"), "MockControl": (".control_client", "MockControl"),
         "ControlError": (".control_client", "ControlError"), "Settings": (".settings", "Settings"),
         "MockServer": (".server", "MockServer"), "RoomEvents": (".room_events", "RoomEvents")}


def __getattr__(name: str):
    if name in _LAZY:
        module, attribute = _LAZY[name]
        return getattr(importlib.import_module(module, __name__), attribute)
    raise AttributeError(name)
