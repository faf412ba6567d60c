"""Raw HTTP against the session server: status codes, headers, error bodies, lists, timestamps."""

from __future__ import annotations

import re

import httpx
import pytest

ISO_MS_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
JSON = "application/json; charset=utf-8"
BRAIN = {"instructions": "Be brief.", "greetingMessage": "Hi!"}


def bad_request(response: httpx.Response) -> list[str]:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == JSON
    body = response.json()
    assert (body["statusCode"], body["error"]) == (400, "Bad Request")
    assert isinstance(body["message"], list) and body["message"]
    return body["message"]


def test_missing_key_is_401(equos_mock):
    for headers in ({}, {"x-api-key": ""}):
        response = httpx.get(equos_mock.url + "/v3/brains", headers=headers)
        assert response.status_code == 401
        assert response.headers["content-type"] == JSON
        assert response.json() == {"message": "Unauthorized", "statusCode": 401}
    assert httpx.get(equos_mock.url + "/v3/health").status_code == 200  # health needs no key


def test_unknown_key_is_401_when_keys_are_configured(validated_server):
    server = validated_server(api_keys=("sk_only_this_one",))
    unknown = httpx.get(server.url + "/v3/faces", headers={"x-api-key": "sk_other"})
    assert unknown.status_code == 401 and unknown.json() == {"message": "Unauthorized", "statusCode": 401}
    known = httpx.get(server.url + "/v3/faces", headers={"x-api-key": "sk_only_this_one"})
    assert known.status_code == 200 and known.json()["total"] == 0


def test_body_validation_messages(equos_httpx):
    assert bad_request(equos_httpx.post("/v3/brains", json={})) == [
        "instructions should not be empty", "greetingMessage should not be empty"]
    assert bad_request(equos_httpx.post("/v3/brains", json={**BRAIN, "instructions": 5})) == [
        "instructions must be a string"]
    assert bad_request(equos_httpx.post("/v3/faces", json={"identity": "bob"})) == [
        "identity must be one of the following values: tommy"]
    assert "search must be a boolean value" in bad_request(equos_httpx.post(
        "/v3/characters", json={"name": "a", "livekitIdentity": "b", "search": "yes"}))
    assert bad_request(equos_httpx.post("/v3/conversations", json={"name": "x"})) == [
        "characterId should not be empty"]
    assert bad_request(equos_httpx.get("/v3/organizations/user-usage")) == ["client should not be empty"]
    assert equos_httpx.get("/v3/brains").json()["total"] == 0  # nothing was created


@pytest.mark.parametrize(("query", "message"), [
    ("take=51", "take must not be greater than 50"),
    ("take=0", "take must not be less than 1"),
    ("skip=-1", "skip must not be less than 0"),
    ("take=2.5", "take must be an integer number"),
    ("take=abc", "take must be a number conforming to the specified constraints"),
])
def test_paging_validation(equos_httpx, query, message):
    assert bad_request(equos_httpx.get("/v3/faces?" + query)) == [message]


def test_float_paging_as_the_python_sdk_sends_it(equos_httpx):
    response = equos_httpx.get("/v3/voices?take=20.0&skip=0.0")
    assert response.status_code == 200
    assert response.json() == {"skip": 0, "take": 20, "total": 0, "voices": []}
    assert '"take":20,' in response.text.replace(" ", "")  # integers on the wire, not 20.0


def test_malformed_json_and_wrong_content_type(equos_httpx):
    malformed = equos_httpx.post("/v3/brains", content=b'{"instructions": ',
                                 headers={"content-type": "application/json"})
    assert bad_request(malformed)[0].startswith("Body is not valid JSON")
    assert bad_request(equos_httpx.post("/v3/brains", json=[BRAIN])) == ["Body must be a JSON object"]
    form = equos_httpx.post("/v3/brains", content=b"instructions=x",
                            headers={"content-type": "application/x-www-form-urlencoded"})
    assert form.status_code == 415 and form.headers["content-type"] == JSON
    assert form.json()["statusCode"] == 415 and form.json()["error"] == "Unsupported Media Type"


def test_unknown_route_and_wrong_method(equos_httpx):
    unknown = equos_httpx.get("/v3/x")
    assert unknown.status_code == 404
    assert unknown.json() == {"statusCode": 404, "message": "Cannot GET /v3/x", "error": "Not Found"}
    wrong = equos_httpx.delete("/v3/brains")
    assert wrong.status_code == 405
    assert set(wrong.headers["allow"].split(", ")) >= {"GET", "POST"}
    assert "DELETE" not in wrong.headers["allow"]
    assert wrong.json()["statusCode"] == 405 and wrong.json()["error"] == "Method Not Allowed"
    assert equos_httpx.put("/v3/faces/abc").headers["allow"] == "DELETE, GET, HEAD, OPTIONS"


def test_status_codes_and_timestamps(equos_httpx):
    created = equos_httpx.post("/v3/brains", json=BRAIN)
    assert created.status_code == 201 and created.headers["content-type"] == JSON
    brain = created.json()
    assert ISO_MS_Z.match(brain["createdAt"]) and ISO_MS_Z.match(brain["updatedAt"])
    assert equos_httpx.get(f"/v3/brains/{brain['id']}").status_code == 200
    updated = equos_httpx.patch(f"/v3/brains/{brain['id']}", json={**BRAIN, "instructions": "New."})
    assert updated.status_code == 200 and ISO_MS_Z.match(updated.json()["updatedAt"])
    assert equos_httpx.delete(f"/v3/brains/{brain['id']}").status_code == 200

    character = equos_httpx.post("/v3/characters", json={"name": "c", "livekitIdentity": "c"}).json()
    started = equos_httpx.post("/v3/conversations", json={"name": "n", "characterId": character["id"]})
    assert started.status_code == 201
    conversation = started.json()["conversation"]
    for field in ("startedAt", "createdAt", "updatedAt"):
        assert ISO_MS_Z.match(conversation[field]), conversation[field]
    assert conversation["endedAt"] is None
    stopped = equos_httpx.post(f"/v3/conversations/{conversation['id']}/stop")
    assert stopped.status_code == 201 and ISO_MS_Z.match(stopped.json()["endedAt"])
    usage = equos_httpx.get("/v3/organizations/freemium-usage")
    assert usage.status_code == 200 and usage.headers["content-type"] == "text/html; charset=utf-8"
    assert re.fullmatch(r"\d+(\.\d+)?", usage.text)


def test_lists_newest_first_total_before_paging_and_deletes_vanish(equos_httpx, equos_clock):
    ids = []
    for n in range(7):
        ids.append(equos_httpx.post("/v3/brains", json={**BRAIN, "client": "odd" if n % 2 else "even"}).json()["id"])
        equos_clock.advance(0.001)
    page = equos_httpx.get("/v3/brains?take=3&skip=2").json()
    assert (page["total"], page["skip"], page["take"]) == (7, 2, 3)
    assert [b["id"] for b in page["brains"]] == ids[::-1][2:5]
    beyond = equos_httpx.get("/v3/brains?skip=10").json()
    assert (beyond["total"], beyond["brains"]) == (7, [])
    odd = equos_httpx.get("/v3/brains?client=odd&take=2").json()
    assert odd["total"] == 3 and [b["id"] for b in odd["brains"]] == [ids[5], ids[3]]
    assert equos_httpx.get("/v3/brains?client=od").json()["total"] == 0  # exact match only

    deleted = equos_httpx.delete(f"/v3/brains/{ids[3]}")
    assert deleted.status_code == 200 and deleted.json()["id"] == ids[3]
    listed = equos_httpx.get("/v3/brains?take=50").json()
    assert listed["total"] == 6 and ids[3] not in [b["id"] for b in listed["brains"]]
    gone = equos_httpx.get(f"/v3/brains/{ids[3]}")
    assert (gone.status_code, gone.content) == (200, b"")  # null_result=empty
    again = equos_httpx.delete(f"/v3/brains/{ids[3]}")
    assert (again.status_code, again.content) == (200, b"")


def test_conversation_and_character_rules(equos_httpx, equos_clock):
    character = equos_httpx.post("/v3/characters", json={"name": "a", "livekitIdentity": "same"})
    assert character.status_code == 201
    duplicate = equos_httpx.post("/v3/characters", json={"name": "b", "livekitIdentity": "same"})
    assert duplicate.status_code == 409 and duplicate.json()["error"] == "Conflict"
    body = {"name": "n", "characterId": character.json()["id"]}
    for max_seconds, message in ((3601, "maxSeconds must not be greater than 3600"),
                                 (0, "maxSeconds must not be less than 1"),
                                 ("10", "maxSeconds must be a number conforming to the specified constraints")):
        assert bad_request(equos_httpx.post("/v3/conversations", json={**body, "maxSeconds": max_seconds})) == [
            message]
    assert bad_request(equos_httpx.post("/v3/conversations", json={**body, "promptTemplateVars": {"a": 1}})) == [
        "promptTemplateVars.a must be a string"]
    assert bad_request(equos_httpx.get("/v3/brains?take=20&take=3")) == ["take must be given once, not repeated"]
    default = equos_httpx.post("/v3/conversations", json=body).json()["conversation"]
    assert default["maxSeconds"] == 3600 and default["status"] == "running"
    equos_clock.set("2030-01-02T03:04:05Z")  # a whole second still prints its milliseconds
    at_whole_second = equos_httpx.post("/v3/brains", json=BRAIN).json()
    assert at_whole_second["createdAt"] == "2030-01-02T03:04:05.000Z"
