"""equos-mock: a faithful, stateful fake of the Equos.ai v3 REST API."""

__version__ = "0.1.0"

__all__ = ["__version__", "create_app"]


def __getattr__(name: str):  # lazy, so `import mock_server` stays cheap for the CLI and plugin
    if name == "create_app":
        from .app import create_app

        return create_app
    raise AttributeError(name)
