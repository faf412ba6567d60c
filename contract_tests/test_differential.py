"""Differential mode (``--equos-compare-url``): the same generated calls to two targets, compared."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from . import strategies as gen
from .differential import Normalizer, substitute
from .target import BudgetExhausted, Example, Reply, Target

ref = st.integers(0, 5).map(lambda n: f"<ref {n}>")
CALLS = st.one_of(
    st.tuples(st.just("POST"), st.just("/v3/brains"), gen.brain("<tag>")),
    st.tuples(st.just("POST"), st.just("/v3/voices"), gen.voice("<tag>")),
    st.tuples(st.just("POST"), st.just("/v3/faces"), gen.face("<tag>")),
    st.tuples(st.just("POST"), st.just("/v3/knowledge-bases"), gen.knowledge_base("<tag>")),
    st.tuples(st.just("POST"), st.just("/v3/characters"),
              st.builds(lambda c, b: {**c, **({"brainId": b} if b else {})},
                        gen.character("<tag>", "<tag>"), st.none() | ref)),
    st.tuples(st.just("POST"), st.just("/v3/conversations"),
              st.builds(lambda r, c: {"name": "diff", "characterId": r, "client": "<tag>", "maxSeconds": 30,
                                      **({"consumer": c} if c else {})}, ref, st.none() | gen.participant())),
    st.tuples(st.just("POST"), ref.map(lambda r: f"/v3/conversations/{r}/stop"), st.none()),
    st.tuples(st.just("GET"), st.sampled_from(["/v3/brains", "/v3/voices", "/v3/faces", "/v3/characters",
                                                "/v3/knowledge-bases", "/v3/conversations"]),
              st.fixed_dictionaries({"client": st.just("<tag>"), "take": st.integers(0, 60)})),
    st.tuples(st.just("GET"), st.sampled_from(["/v3/brains/", "/v3/characters/", "/v3/voices/"]).flatmap(
        lambda p: ref.map(lambda r: p + r)), st.none()),
    st.tuples(st.just("DELETE"), st.sampled_from(["/v3/brains/", "/v3/characters/", "/v3/faces/"]).flatmap(
        lambda p: ref.map(lambda r: p + r)), st.none()),
    st.tuples(st.just("GET"), st.just("/v3/organizations/user-usage"), st.just({"client": "<tag>"})),
)


def _run(target: Target, ex: Example, ids: list[str], call: tuple[str, str, Any]) -> Reply | str:
    method, path, payload = call
    path = substitute(path, ex.tag, ids)
    payload = substitute(payload, ex.tag, ids)
    if method == "POST" and path == "/v3/conversations":
        try:
            reply = target.start_conversation(ex, payload, check=False)
        except BudgetExhausted:
            return "<budget exhausted>"
    elif method == "GET":
        reply = target.request(method, path, params=payload, check=False)
    else:
        reply = target.request(method, path, json_body=payload, check=False)
    if reply.status == 201 and method == "POST" and not path.endswith("/stop"):
        item = reply.json()
        item = item.get("conversation", item)
        ids.append(item["id"])
        kind = {"/v3/brains": "brains", "/v3/voices": "voices", "/v3/faces": "faces",
                "/v3/knowledge-bases": "knowledge_bases", "/v3/characters": "characters"}.get(path)
        if kind:
            target.created(ex, kind, item["id"])
    return reply


def _shape(reply: Reply | str, normalize: Normalizer) -> Any:
    if isinstance(reply, str):
        return reply
    try:
        body: Any = json.loads(reply.content) if not reply.empty else "<empty>"
    except ValueError:
        body = reply.content.decode("utf-8", "replace")
    if isinstance(body, dict) and reply.status >= 400:
        body = {"statusCode": body.get("statusCode")}  # messages may be worded differently
    return {"status": reply.status, "type": reply.content_type.split(";")[0], "body": normalize(body)}


def test_same_calls_same_answers(equos_target: Target, equos_compare: Target) -> None:
    one, two = equos_target, equos_compare

    @given(st.lists(CALLS, min_size=1, max_size=8))
    def run(calls: list[tuple[str, str, Any]]) -> None:
        with one.example() as ex1, two.example() as ex2:
            ids1: list[str] = []
            ids2: list[str] = []
            norm1, norm2 = Normalizer(ex1.tag), Normalizer(ex2.tag)
            for step, call in enumerate(calls, 1):
                a = _shape(_run(one, ex1, ids1, call), norm1)
                b = _shape(_run(two, ex2, ids2, call), norm2)
                if a != b:
                    difference = (f"call {step} {call[0]} {call[1]}: {one.label} answered {json.dumps(a)[:300]}, "
                                  f"{two.label} answered {json.dumps(b)[:300]}")
                    # Hypothesis replays the shrunk example last: the report keeps that one.
                    one.fidelity.differential[:] = [difference]
                    raise AssertionError("the two targets differ\n" + difference)

    run()
