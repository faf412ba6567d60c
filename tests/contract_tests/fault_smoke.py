"""Run as ``python fault_smoke.py contract_faults:NAME`` (a held-out fault) or ``contract_mutants:NAME`` (a
mutant): its app through a conversation's life, in a child (both patch module globals for their process).
Prints the statuses, or the app's own error."""

from __future__ import annotations

import json
import sys
import traceback
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[2])]

from mock_server.asgi_client import asgi_client  # noqa: E402
from mock_server.settings import Settings  # noqa: E402


def _app(spec: str) -> object:
    module, _, name = spec.partition(":")
    if module == "contract_faults":
        from contract_faults import FAULTS  # type: ignore[import-not-found]

        return next(f for f in FAULTS if f.name == name).build(Settings())
    from contract_tests.target import load_app_factory

    return load_app_factory(spec)()  # as the suite's --equos-app builds it


def statuses(spec: str) -> list[int]:
    with asgi_client(_app(spec), "sk_fault_smoke", raise_app_exceptions=True) as client:
        brain = client.post("/v3/brains", json={"instructions": "x", "greetingMessage": "hi"}).json()
        character = client.post("/v3/characters", json={"name": "n", "livekitIdentity": "n",
                                                         "brainId": brain["id"]}).json()
        started = client.post("/v3/conversations", json={
            "name": "c", "characterId": character["id"], "consumer": {"identity": "u", "name": "U"},
            "remoteAgent": {"identity": "a", "name": "A"}})
        seen = [started.status_code, client.get("/v3/conversations").status_code]
        if started.status_code == 201:
            cid = started.json()["conversation"]["id"]
            seen.append(client.get(f"/v3/conversations/{cid}").status_code)
            client.post("/_mock/clock/advance", json={"seconds": 5000})  # past every expiry
            seen += [client.get(f"/v3/conversations/{cid}").status_code,
                     client.post(f"/v3/conversations/{cid}/stop").status_code]
        return seen


if __name__ == "__main__":
    try:
        print(json.dumps({"statuses": statuses(sys.argv[1])}))
    except Exception as exc:  # the wrapper's own crash: what the test reports
        print(json.dumps({"error": "".join(traceback.format_exception_only(exc)).strip()}))
