"""Fault rules: matching, responses, delays, throttling, dropped connections, times and probability."""

from __future__ import annotations

import time

import httpx
import pytest
from equos.client.errors import UnexpectedStatus
from equos.client.models import CreateEquosBrainRequest

from mock_server.app import create_app
from mock_server.asgi_client import asgi_client
from mock_server.control_client import ControlError
from mock_server.pytest_plugin import sdk_client
from mock_server.settings import Settings


def test_status_with_nestjs_envelope_for_next_n(api, control, key, server):
    rule = control.add_fault(method="GET", path="/v3/faces", key=key, status=503, times=2)
    assert rule["id"].startswith("fault-") and rule["key"] == server.runtime.mask(key) and rule["active"]
    for _ in range(2):
        response = api.get("/v3/faces")
        assert response.status_code == 503
        assert response.json() == {"statusCode": 503, "message": "Service Unavailable", "error": "Service Unavailable"}
    assert api.get("/v3/faces").status_code == 200
    listed = control.faults(key=key)
    assert [(r["hits"], r["active"]) for r in listed] == [(2, False)]
    statuses = [(e["status"], e.get("fault")) for e in control.journal(key=key)]
    assert statuses == [(503, rule["id"]), (503, rule["id"]), (200, None)]


def test_custom_body_and_headers(api, control, key):
    control.add_fault(path="/v3/brains", key=key, status=400, body={"oops": True}, headers={"x-why": "test"})
    response = api.post("/v3/brains", json={"instructions": "x"})
    assert response.status_code == 400 and response.json() == {"oops": True}
    assert response.headers["x-why"] == "test"
    assert response.headers["x-mock-fault"] == control.faults(key=key)[0]["id"]


def test_throttle_429_with_retry_after(api, control, key):
    control.add_fault(path="/v3/*", key=key, retry_after=30, times=1)
    response = api.get("/v3/voices")
    assert response.status_code == 429 and response.headers["retry-after"] == "30"
    assert response.json() == {"message": "ThrottlerException: Too Many Requests", "statusCode": 429}
    assert api.get("/v3/voices").status_code == 200


def test_delay_then_real_answer(api, control, key):
    control.add_fault(method="GET", path="/v3/brains", key=key, delay_ms=300)
    started = time.perf_counter()
    response = api.get("/v3/brains")
    assert time.perf_counter() - started >= 0.3
    assert response.status_code == 200 and response.json()["total"] == 0


def test_dropped_connection_is_a_transport_error(api, control, key):
    control.add_fault(path="/v3/characters", key=key, drop=True, times=1)
    with pytest.raises(httpx.RemoteProtocolError):
        api.get("/v3/characters")
    assert api.get("/v3/characters").status_code == 200
    dropped = control.journal(key=key, status="dropped")
    assert len(dropped) == 1 and dropped[0]["dropped"] is True and dropped[0]["status"] is None


def test_matching_by_method_regex_key_and_organization(server, api, control, key):
    control.add_fault(method="DELETE", path_regex=r"/v3/faces/[^/]+", key=key, status=500)
    face = api.post("/v3/faces", json={"identity": "tommy"}).json()
    assert api.get(f"/v3/faces/{face['id']}").status_code == 200  # another method
    assert api.delete(f"/v3/faces/{face['id']}").status_code == 500
    other = httpx.Client(base_url=server.url, headers={"x-api-key": key + "_other"})
    other_face = other.post("/v3/faces", json={"identity": "tommy"}).json()
    assert other.delete(f"/v3/faces/{other_face['id']}").status_code == 200  # another key
    org = face["organizationId"]
    control.add_fault(organization=org, path="/v3/voices", status=502)
    assert api.get("/v3/voices").status_code == 502
    assert other.get("/v3/voices").status_code == 200
    assert control.clear_faults(organization=org) == 1
    assert api.get("/v3/voices").status_code == 200
    other.close()


def test_control_plane_is_never_faulted(api, control, key):
    try:
        scoped = control.add_fault(path="*", key=key, status=500)
        control_rule = control.add_fault(path="/_mock/*", status=500)
        # The probes carry the key (x-api-key), so the key-scoped rule would match them too if control
        # calls were faulted; a GET and a POST.
        assert control.request("GET", "clock", api_key=key)["scope"] == "app"
        advanced = control.request("POST", "clock/advance", {"seconds": 0, "key": key}, api_key=key)
        assert "now" in advanced
        assert api.get("/v3/faces").status_code == 500  # the key-scoped rule is live for the API
        hits = {r["id"]: r["hits"] for r in control.faults()}
        assert (hits[scoped["id"]], hits[control_rule["id"]]) == (1, 0)  # no control call hit a rule
    finally:
        control.clear_faults()


def test_list_remove_and_clear(control, key):
    first = control.add_fault(path="/v3/a", key=key, status=500)
    second = control.add_fault(path="/v3/b", key=key, delay_ms=10)
    assert [r["id"] for r in control.faults(key=key)] == [first["id"], second["id"]]
    assert control.remove_fault(first["id"])["id"] == first["id"]
    with pytest.raises(ControlError) as error:
        control.remove_fault(first["id"])
    assert error.value.status == 404
    assert control.clear_faults(key=key) == 1 and control.faults(key=key) == []


@pytest.mark.parametrize("spec", [
    {}, {"path": "/v3/x"}, {"status": 42}, {"status": 599}, {"probability": 0}, {"probability": 1.5},
    {"delayMs": -1}, {"times": 0}, {"drop": "yes"}, {"pathRegex": "("}, {"colour": "red", "status": 500},
    {"status": 500, "headers": {"x": 1}},
])
def test_invalid_rules_are_400(control, spec):
    with pytest.raises(ControlError) as error:
        control.request("POST", "faults", spec)
    assert error.value.status == 400 and error.value.body["statusCode"] == 400


def _hits(seed: int, draws: int = 40) -> list[int]:
    app = create_app(Settings(seed=seed))
    with asgi_client(app, "k") as client:
        client.post("/_mock/faults", json={"path": "/v3/faces", "status": 500, "probability": 0.5})
        return [client.get("/v3/faces").status_code for _ in range(draws)]


def test_probability_is_seeded_by_the_app():
    first, again, other = _hits(7), _hits(7), _hits(8)
    assert first == again  # the same seed, the same faults
    assert first != other
    assert 5 < first.count(500) < 35 and set(first) == {200, 500}


# --- the official SDK sees them --------------------------------------------------------
def test_sdk_raises_unexpected_status_on_503(server, control, key):
    client = sdk_client(server.url, key)
    control.add_fault(method="POST", path="/v3/brains", key=key, status=503)
    with pytest.raises(UnexpectedStatus) as error:
        client.brains.create(CreateEquosBrainRequest(instructions="x", greeting_message="Hi"))
    assert error.value.status_code == 503


def test_sdk_observes_a_delay(server, control, key):
    client = sdk_client(server.url, key)
    client.brains.list()  # warm the connection
    control.add_fault(method="GET", path="/v3/brains", key=key, delay_ms=400)
    started = time.perf_counter()
    listed = client.brains.list()
    elapsed = time.perf_counter() - started
    assert elapsed >= 0.4 and listed.total == 0


def test_sdk_sees_a_dropped_connection_as_transport_error(server, control, key):
    client = sdk_client(server.url, key)
    control.add_fault(method="GET", path="/v3/brains", key=key, drop=True)
    with pytest.raises(httpx.TransportError):
        client.brains.list()


def test_faults_in_process_too():
    app = create_app()
    with asgi_client(app, "k") as client:
        client.post("/_mock/faults", json={"path": "/v3/faces", "drop": True, "times": 1})
        with pytest.raises(httpx.RemoteProtocolError):
            client.get("/v3/faces")
        assert client.get("/v3/faces").status_code == 200
