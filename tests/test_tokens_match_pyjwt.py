"""The mock signs its HS256 tokens itself (PyJWT's key checks were most of a conversation start):
the bytes must stay exactly what PyJWT writes, and PyJWT must verify them."""

from __future__ import annotations

import random
import warnings

import jwt

from mock_server.tokens import Grant, client_token, livekit_token


def test_livekit_and_client_tokens_are_byte_identical_to_pyjwt() -> None:
    rng = random.Random(3)
    for _ in range(200):
        secret = "".join(rng.choice("abcdefé🙂xyz0123456789") for _ in range(rng.randint(1, 40)))
        identity = "".join(rng.choice('ab"\\/é🙂 ') for _ in range(rng.randint(1, 12)))
        now = rng.randint(0, 2**33)
        grant = Grant(room=f"equos-{rng.getrandbits(32):x}", can_publish=rng.random() < 0.5)
        token = livekit_token(api_key="devkey", api_secret=secret, identity=identity, name=identity[::-1],
                              grant=grant, not_before=now, expires=now + 3600)
        claims = {"iss": "devkey", "sub": identity, "name": identity[::-1], "nbf": now, "exp": now + 3600,
                  "video": grant.claims()}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # PyJWT warns about short test secrets
            assert token == jwt.encode(claims, secret, algorithm="HS256")
            client = client_token(secret=secret, issuer="equos-mock", organization_id="org", user=identity,
                                  client=None, character="c1", issued_at=now, expires=now + 900)
            decoded = jwt.decode(client, secret, algorithms=["HS256"], audience="equos-client",
                                 options={"verify_exp": False, "verify_nbf": False, "verify_iat": False})
        assert decoded == {"iss": "equos-mock", "aud": "equos-client", "sub": identity, "org": "org",
                           "client": None, "character": "c1", "iat": now, "nbf": now, "exp": now + 900}
