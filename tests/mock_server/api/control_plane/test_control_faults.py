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
        control.add_fault(path="*", key=key, status=500)
        # A rule for the control plane alone could never fire: refused, saying why.
        with pytest.raises(ControlError) as refused:
            control.add_fault(path="/_mock/*", status=500)
        assert (refused.value.status, refused.value.body["message"]) == (400, [
            "a fault rule for /_mock/* can never fire: faults never apply to the /_mock/ control plane"])
        # The probes carry the key (x-api-key), so the key-scoped rule would match them too if control
        # calls were faulted; a GET and a POST.
        assert control.request("GET", "clock", api_key=key)["scope"] == "app"
        advanced = control.request("POST", "clock/advance", {"seconds": 0, "key": key}, api_key=key)
        assert "now" in advanced
        assert api.get("/v3/faces").status_code == 500  # the key-scoped rule is live for the API
        assert [r["hits"] for r in control.faults(key=key)] == [1]  # no control call hit the rule
    finally:
        control.clear_faults()


def test_list_remove_and_clear(control, key):
    first = control.add_fault(path="/v3/faces", key=key, status=500)
    second = control.add_fault(path="/v3/voices", key=key, delay_ms=10)
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


# --- a rule that could never fire is refused -----------------------------------------------------------
NEVER = "a fault rule for {rule} can never fire: "


@pytest.mark.parametrize(("spec", "why"), [
    ({"method": "GET", "path": "/brains"}, "GET /brains: the path matches no route; did you mean GET /v3/brains?"),
    ({"path": "/v3/brians/*"}, "/v3/brians/*: the glob matches no route; did you mean GET /v3/brains/{id}?"),
    ({"method": "GET", "path": "/v3/conversations/*/stop"},
     "GET /v3/conversations/*/stop: no route answers GET there (the routes it matches answer OPTIONS, POST)"),
    ({"method": "FETCH"}, "FETCH *: no route answers FETCH there (the routes it matches answer DELETE, GET, HEAD, "
                          "OPTIONS, PATCH, POST, PUT)"),
    ({"path": "/_mock/journal"}, "/_mock/journal: faults never apply to the /_mock/ control plane"),
    ({"path": "v3/brains"}, "v3/brains: the path matches no route; did you mean GET /v3/brains?"),
])
def test_a_rule_that_can_never_fire_is_refused_with_the_route_it_meant(api, key, spec, why):
    rule, _, reason = why.partition(": ")
    reply = api.post("/_mock/faults", json={**spec, "key": key, "status": 503})
    assert (reply.status_code, reply.json()) == (400, {"statusCode": 400, "error": "Bad Request",
                                                       "message": [NEVER.format(rule=rule) + reason]})
    assert api.get("/_mock/faults", params={"key": key}).json() == []


@pytest.mark.parametrize("spec", [
    {"method": "GET", "path": "/v3/brains"}, {"method": "head", "path": "/v3/brains"},
    {"path": "/v3/conversations/*/stop"}, {"method": "POST", "path": "/v3/conversations/conv_*/stop"},
    {"path": "/v3/characters/[abc]*"}, {"path": "*"}, {"method": "DELETE"}, {"path": "/v1/*"},
    {"method": "GET", "path": "/docs/v3-json"}, {"pathRegex": "/nowhere/.*"},  # a regex is not checked
])
def test_a_rule_that_can_fire_is_taken(api, key, spec):
    assert api.post("/_mock/faults", json={**spec, "key": key, "status": 503}).status_code == 201


def test_a_glob_too_intricate_to_decide_is_taken_quickly(api, key):
    started = time.perf_counter()
    reply = api.post("/_mock/faults", json={"path": "*a" * 1000, "key": key, "status": 503})
    assert reply.status_code == 201 and time.perf_counter() - started < 2  # an {id} of a's would match


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
