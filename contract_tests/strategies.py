"""Hypothesis strategies: valid request bodies, and the ways to break them."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from mock_server.models.resources import EquosFaceIdentity, EquosVoiceIdentity

VOICES = [v.value for v in EquosVoiceIdentity]
FACES = [f.value for f in EquosFaceIdentity]

# Printable text without control characters (databases refuse NUL; nobody sends the rest).
text = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), min_size=1, max_size=30)
long_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), min_size=1, max_size=200)
identity = st.from_regex(r"[a-z][a-z0-9_-]{2,20}", fullmatch=True)


def brain(client: str) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({"instructions": long_text, "greetingMessage": text, "client": st.just(client)})


def voice(client: str) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({"identity": st.sampled_from(VOICES), "client": st.just(client)},
                                 optional={"instructions": long_text})


def face(client: str) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({"identity": st.sampled_from(FACES), "client": st.just(client)})


def knowledge_base(client: str) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({"name": text, "description": long_text, "client": st.just(client)})


# A valid create body for each declared resource made from a body alone (see ``declared.PLAIN``).
BODIES = {"brains": brain, "voices": voice, "faces": face, "knowledge_bases": knowledge_base}


def document() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({"name": text, "description": text,
                                  "mimeType": st.sampled_from(["text/plain", "application/pdf", "text/markdown"])})


def character(client: str, tag: str) -> st.SearchStrategy[dict[str, Any]]:
    # livekitIdentity carries the example's tag: unique, so it never collides with a user's own.
    return st.fixed_dictionaries(
        {"name": text, "livekitIdentity": identity.map(lambda s: f"{tag}-{s}"), "client": st.just(client)},
        optional={"search": st.booleans(), "elevenlabsAgentId": identity})


def character_update() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({}, optional={"name": text, "search": st.booleans(), "elevenlabsAgentId": identity})


def participant() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({"identity": identity, "name": text})


def conversation(client: str, character_id: str) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {"name": text, "characterId": st.just(character_id), "client": st.just(client),
         "maxSeconds": st.integers(1, 3600)},
        optional={"consumer": participant(), "remoteAgent": participant(), "promptCtx": text,
                  "promptTemplateVars": st.dictionaries(identity, text, max_size=3)})


def wrong_type(valid: Any) -> st.SearchStrategy[Any]:
    """A JSON value of another type than ``valid``."""
    choices = [st.integers(-5, 5), st.lists(st.integers(0, 3), max_size=2),
               st.dictionaries(st.just("x"), st.integers(0, 3), max_size=1), st.booleans(), text]
    if isinstance(valid, bool):
        choices = [c for i, c in enumerate(choices) if i != 3]
        choices.append(st.sampled_from(["true", "false"]))
    elif isinstance(valid, (int, float)):
        choices = [c for i, c in enumerate(choices) if i != 0]
        choices.append(st.sampled_from(["10", "1e3"]))
    elif isinstance(valid, str):
        choices = choices[:4]
    return st.one_of(choices)


@st.composite
def broken(draw: st.DrawFn, valid: dict[str, Any], required: list[str], enums: dict[str, list[str]]
           ) -> tuple[str, dict[str, Any]]:
    """One way to break a valid body: a wrong type, a missing required field, or a bad enum value."""
    kinds = ["wrong-type"] + (["missing"] if required else []) + (["bad-enum"] if enums else [])
    kind = draw(st.sampled_from(kinds))
    body = dict(valid)
    if kind == "missing":
        name = draw(st.sampled_from(required))
        body.pop(name, None)
        return f"missing {name}", body
    if kind == "bad-enum":
        name = draw(st.sampled_from(sorted(enums)))
        body[name] = draw(text.filter(lambda s, n=name: s not in enums[n]))
        return f"bad enum {name}={body[name]!r}", body
    name = draw(st.sampled_from(sorted(k for k in body if k != "client")))
    body[name] = draw(wrong_type(body[name]))
    return f"wrong type {name}={body[name]!r}", body


# Out-of-range or malformed paging, and whether it stays invalid when the target clamps.
bad_paging = st.one_of(
    st.builds(lambda n: ({"take": n}, True), st.integers(51, 10_000)),
    st.builds(lambda n: ({"take": n}, True), st.integers(-100, 0)),
    st.builds(lambda n: ({"skip": n}, True), st.integers(-100, -1)),
    st.builds(lambda s: ({"take": s}, False), st.sampled_from(["abc", "1.5", "", "ten", "2x"])),
    st.builds(lambda s: ({"skip": s}, False), st.sampled_from(["abc", "0.5", "x1"])),
)
