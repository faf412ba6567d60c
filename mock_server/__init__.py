"""equos-mock: a faithful, stateful fake of the Equos.ai v3 REST API."""

from .version import __version__

__all__ = ["ControlError", "MockControl", "__version__", "create_app"]


def __getattr__(name: str):  # lazy, so `import mock_server` stays cheap for the CLI and plugin
    if name == "create_app":
        from .app import create_app  # noqa: PLC0415 - the whole app, only when asked for

        return create_app
    if name in ("MockControl", "ControlError"):
        from . import control_client  # noqa: PLC0415 - the control-plane client (httpx), only when asked for

        return getattr(control_client, name)
    raise AttributeError(name)
