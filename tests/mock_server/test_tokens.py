"""The app's signer writes exactly what ``jwt.encode`` writes (livekit-api and PyJWT verify it), for any
claims and secret, and an unusable secret fails a signature, not the app."""

from __future__ import annotations

import jwt
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from livekit import api

from mock_server.tokens import _COMPACT, Grant, Signer, livekit_claims, livekit_json, sign

claim_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**53, 2**53) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8)


@settings(max_examples=100, deadline=None)
@given(claims=st.dictionaries(st.text(max_size=10), claim_values, max_size=6),
       secret=st.text(min_size=1, max_size=40).filter(lambda s: "-----" not in s and not s.startswith("ssh-")))
def test_signer_writes_the_bytes_jwt_encode_writes(claims: dict, secret: str) -> None:
    assert Signer(secret).sign(claims) == sign(claims, secret)


@settings(max_examples=200, deadline=None)
@example(api_key="devkey", identity="\ud800 lone", name='"\\/\x00\x1f\u2028', room="équos-😀",
         flags=(True, False, True), times=(0, 2**40))  # st.text() never draws a lone surrogate
@given(api_key=st.text(max_size=12), identity=st.text(max_size=20), name=st.text(max_size=20),
       room=st.text(max_size=20), flags=st.tuples(st.booleans(), st.booleans(), st.booleans()),
       times=st.tuples(st.integers(0, 2**40), st.integers(0, 2**40)))
def test_livekit_json_is_the_claims_as_jwt_encode_writes_them(api_key: str, identity: str, name: str, room: str,
                                                              flags: tuple, times: tuple) -> None:
    args = {"api_key": api_key, "identity": identity, "name": name, "not_before": times[0], "expires": times[1],
            "grant": Grant(room=room, can_publish=flags[0], can_subscribe=flags[1], can_publish_data=flags[2])}
    claims = livekit_claims(**args)
    assert livekit_json(**args) == _COMPACT.encode(claims).encode("utf-8")
    assert Signer("secret").sign_json(livekit_json(**args)) == sign(claims, "secret")


def test_a_livekit_token_verifies_with_livekit_api() -> None:
    claims = livekit_claims(api_key="devkey", identity="user-1", name="User", grant=Grant(room="equos-r1"),
                            not_before=1_700_000_000, expires=4_000_000_000)
    token = Signer("secret").sign(claims)
    verified = api.TokenVerifier("devkey", "secret").verify(token)
    assert (verified.identity, verified.name, verified.video.room) == ("user-1", "User", "equos-r1")
    assert jwt.decode(token, "secret", algorithms=["HS256"], options={"verify_exp": False}) == claims


def test_an_unusable_secret_fails_the_signature_not_the_signer() -> None:
    pem = "-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----"
    signer = Signer(pem)  # made with the app: nothing checked yet
    with pytest.raises(jwt.exceptions.InvalidKeyError):
        signer.sign({"sub": "x"})
    with pytest.raises(jwt.exceptions.InvalidKeyError):
        sign({"sub": "x"}, pem)
