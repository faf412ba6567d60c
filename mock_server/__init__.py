"""equos-mock: a faithful, stateful fake of the Equos.ai v3 REST API.

A resource is declared once (``Resource``, ``Reference``; see ``mock_server.resource``); an app serves
the ``Catalog`` it is created with: ``create_app(settings, resources=DEFAULT_RESOURCES.with_(...))``.
"""

import importlib

__version__ = "0.1.0"

__all__ = ["DEFAULT_RESOURCES", "Catalog", "Reference", "Resource", "__version__", "create_app"]

_LAZY = {"create_app": (".app", "create_app"), "Catalog": (".resource", "Catalog"),
         "Reference": (".resource", "Reference"), "Resource": (".resource", "Resource"),
         "DEFAULT_RESOURCES": (".catalog", "DEFAULT")}


def __getattr__(name: str):  # lazy, so `import mock_server` stays cheap for the CLI and plugin
    if name in _LAZY:
        module, attribute = _LAZY[name]
        return getattr(importlib.import_module(module, __name__), attribute)
    raise AttributeError(name)
