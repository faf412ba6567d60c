"""Issue 23, class 6: with a second organization's key, another organization's objects can't be read,
listed, updated, deleted, referenced, started, stopped, added to, tokened or billed.

The second key is ``--equos-second-key`` / ``EQUOS_SECOND_API_KEY``; a mock's control plane makes one,
and a mock with open keys accepts one made up. Without any, the rules table says the rule needs it."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from . import strategies as gen
from .api import PATHS, create
from .target import Example, Reply, Target

RULE = "isolation.second_key"


def _refused(target: Target, reply: Reply, what: str, op: str) -> None:
    """Not found for them: the API's null reply, a 404, or another 4xx; never their object."""
    ok = reply.status == 404 or (400 <= reply.status < 500) or (200 <= reply.status < 300 and reply.is_null)
    target.rule(RULE, ok, f"another organization {what}: {reply.status} {reply.content[:120]!r}", op)


def _ours(target: Target, ex: Example, data: st.DataObject) -> dict[str, Any]:
    brain = create(target, ex, "brains", data.draw(gen.brain(ex.tag), label="brain")).json()
    kb = create(target, ex, "knowledge_bases", data.draw(gen.knowledge_base(ex.tag), label="kb")).json()
    character = create(target, ex, "characters", {**data.draw(gen.character(ex.tag, ex.tag), label="character"),
                                                  "brainId": brain["id"], "knowledgeBaseId": kb["id"]}).json()
    return {"brains": brain, "knowledge_bases": kb, "characters": character}


def _undo(target: Target, ex: Example, reply: Reply, kind: str, keys: list[str]) -> None:
    """What a broken target let the other organization make: removed with either key."""
    if reply.status != 201 or reply.is_null:
        return
    body = reply.json()
    item = body.get("conversation") or body
    for key in keys:
        if kind == "conversations":
            target.request("POST", f"/v3/conversations/{item['id']}/stop", api_key=key, check=False)
        else:
            target.request("DELETE", f"{PATHS[kind]}/{item['id']}", api_key=key, check=False)


def test_isolation_with_a_second_key(equos_target: Target) -> None:
    target = equos_target
    other = target.second_key()
    if other is None:
        return  # the rules table: isolation needs a second key

    @given(st.data())
    def run(data: st.DataObject) -> None:
        with target.example() as ex:
            ours = _ours(target, ex, data)
            keys = [target.api_key, other]
            for kind, item in ours.items():
                path = f"{PATHS[kind]}/{item['id']}"
                _refused(target, target.get(path, api_key=other), f"reads our {kind[:-1]}", kind)
                listed = target.get(PATHS[kind], params={"client": ex.tag}, api_key=other).json()
                target.rule(RULE, listed["total"] == 0, f"another organization lists our {kind}", kind)
                _refused(target, target.request("DELETE", path, api_key=other), f"deletes our {kind[:-1]}", kind)
                still = target.get(path)
                target.rule(RULE, still.status == 200 and not still.is_null,
                            f"another organization deleted our {kind[:-1]}", kind)
            character, brain, kb = ours["characters"], ours["brains"], ours["knowledge_bases"]
            renamed = target.request("PUT", f"/v3/characters/{character['id']}", json_body={"name": "not yours"},
                                     api_key=other)
            _refused(target, renamed, "updates our character", "updateCharacter")
            patched = target.request("PATCH", f"/v3/brains/{brain['id']}", api_key=other,
                                     json_body={"instructions": "not yours", "greetingMessage": "not yours"})
            _refused(target, patched, "patches our brain", "updateBrain")
            target.rule(RULE, target.get(f"/v3/characters/{character['id']}").json()["name"] == character["name"]
                        and target.get(f"/v3/brains/{brain['id']}").json()["instructions"] == brain["instructions"],
                        "another organization's update changed our objects", "getCharacter")
            ref = data.draw(st.sampled_from(["brainId", "knowledgeBaseId"]), label="reference")
            named = target.post(PATHS["characters"], {**data.draw(gen.character(ex.tag, ex.tag)),
                                                      ref: brain["id"] if ref == "brainId" else kb["id"]},
                                api_key=other)
            target.rule(RULE, 400 <= named.status < 500, f"another organization's character names our {ref}: "
                                                         f"{named.status}", "createCharacter")
            _undo(target, ex, named, "characters", keys)
            foreign = target.post(PATHS["conversations"], {"name": "x", "characterId": character["id"],
                                                           "client": ex.tag, "maxSeconds": 30}, api_key=other)
            target.rule(RULE, 400 <= foreign.status < 500, f"another organization starts our character: "
                                                           f"{foreign.status}", "startConversation")
            if foreign.status == 201:
                target.conversations_started += 1
            _undo(target, ex, foreign, "conversations", keys)
            doc = target.post(f"{PATHS['knowledge_bases']}/{kb['id']}/documents", data.draw(gen.document()),
                              api_key=other)
            target.rule(RULE, 400 <= doc.status < 500, f"another organization adds a document to our knowledge "
                                                       f"base: {doc.status}", "addDocument")
            token = target.post("/v3/tokens", {"user": "u", "client": ex.tag, "character": character["id"]},
                                api_key=other)
            target.rule(RULE, 400 <= token.status < 500, f"another organization gets a token for our character: "
                                                         f"{token.status}", "createToken")
            if target.budget_left() != 0:
                mine = target.start_conversation(ex, {"name": "iso", "characterId": character["id"],
                                                      "client": ex.tag, "maxSeconds": 60})
                cid = mine.json()["conversation"]["id"]
                if target.control:
                    target.clock("advance", seconds=1)  # something to bill
                _refused(target, target.post(f"/v3/conversations/{cid}/stop", api_key=other),
                         "stops our conversation", "stopConversation")
                target.rule(RULE, target.get(f"/v3/conversations/{cid}").json()["status"] == "running",
                            "another organization's stop ended our conversation", "getConversationById")
                _refused(target, target.get(f"/v3/conversations/{cid}", api_key=other), "reads our conversation",
                         "getConversationById")
                listed = target.get(PATHS["conversations"], params={"client": ex.tag}, api_key=other).json()
                target.rule(RULE, listed["total"] == 0 and listed["conversations"] == [],
                            "another organization lists our conversations", "listConversations")
                used = target.get("/v3/organizations/user-usage", params={"client": ex.tag}, api_key=other)
                target.rule(RULE, used.status == 200 and float(used.content) == 0,
                            f"another organization is billed our client tag: {used.content[:40]!r}", "getUserUsage")

    run()
