"""Check 4: LiveKit tokens of started conversations, and client tokens from POST /v3/tokens."""

from __future__ import annotations

import jwt
from hypothesis import given
from hypothesis import strategies as st

from . import strategies as gen
from .api import create, ms
from .target import BudgetExhausted, Target, mask_token
from .tokens import LEEWAY_SECONDS, check_livekit_token

# "Short-lived tokens so a browser can connect without your API key" (the Node SDK's README): at least
# a minute to be usable, at most a day (a browser token that lives longer is an API key by another name).
CLIENT_TOKEN_LIFETIME = (60, 24 * 3600)


def test_conversation_tokens(equos_target: Target) -> None:
    target = equos_target

    @given(st.data())
    def run(data: st.DataObject) -> None:
        with target.example() as ex:
            character = create(target, ex, "characters", data.draw(gen.character(ex.tag, ex.tag))).json()
            roles = data.draw(st.sampled_from([("consumer",), ("remoteAgent",), ("consumer", "remoteAgent"), ()]))
            body = {"name": "tokens", "characterId": character["id"], "client": ex.tag, "maxSeconds": 60,
                    **{role: data.draw(gen.participant(), label=role) for role in roles}}
            try:
                reply = target.start_conversation(ex, body)
            except BudgetExhausted:
                return
            target.expect("startConversation", reply.status == 201, f"start answered {reply.status}")
            started = reply.json()
            conversation = started["conversation"]
            now_s = ms(conversation["startedAt"]) / 1000
            for role, key in (("consumer", "consumerAccessToken"), ("remoteAgent", "remoteAgentAccessToken")):
                if role in body:
                    check_livekit_token(target, started.get(key), conversation, body[role], now_s)
                else:
                    target.expect("startConversation", started.get(key) is None, f"{key} without {role}")

    run()


def test_client_tokens(equos_target: Target) -> None:
    target = equos_target

    @given(st.data())
    def run(data: st.DataObject) -> None:
        with target.example() as ex:
            body = {"user": data.draw(gen.identity, label="user"), "client": ex.tag}
            if data.draw(st.booleans(), label="with character"):
                body["character"] = create(target, ex, "characters", data.draw(gen.character(ex.tag, ex.tag))
                                           ).json()["id"]
            reply = target.post("/v3/tokens", body)
            target.expect("createToken", reply.status == 201, f"token answered {reply.status}")
            token = reply.json()["token"]
            shown = mask_token(token)
            try:
                claims = jwt.decode(token, options={"verify_signature": False, "verify_exp": False,
                                                    "verify_nbf": False, "verify_aud": False})
            except jwt.PyJWTError as exc:
                target.expect("createToken", False, f"client token {shown} does not decode: {exc}")
                return
            rule = "tokens.client"
            target.rule(rule, claims.get("sub") == body["user"], f"token {shown} sub {claims.get('sub')!r}",
                        "createToken")
            target.rule(rule, claims.get("character") == body.get("character"),
                        f"token {shown} character {claims.get('character')!r}", "createToken")
            target.rule(rule, "client" not in claims or claims["client"] == body["client"],
                        f"token {shown} names client {claims.get('client')!r}, sent {body['client']!r}", "createToken")
            start, exp = claims.get("nbf", claims.get("iat")), claims.get("exp")
            lifetime = exp - start if isinstance(start, int | float) and isinstance(exp, int | float) else None
            target.rule(rule, lifetime is not None and CLIENT_TOKEN_LIFETIME[0] <= lifetime <= CLIENT_TOKEN_LIFETIME[1],
                        f"token {shown} lives {lifetime}s (nbf/iat {start}, exp {exp}): a short-lived token lives "
                        f"{CLIENT_TOKEN_LIFETIME[0]}..{CLIENT_TOKEN_LIFETIME[1]}s", "createToken")
            now_s = target.now_ms() / 1000 if target.control else None
            if now_s is not None:
                valid = claims["nbf"] - LEEWAY_SECONDS <= now_s < claims["exp"] + LEEWAY_SECONDS
                target.expect("createToken", valid, f"token {shown} not valid now")
            if target.livekit_secret:
                try:
                    jwt.decode(token, target.livekit_secret, algorithms=["HS256"],
                               options={"verify_exp": False, "verify_nbf": False, "verify_aud": False,
                                        "verify_iat": False})
                    verified = True
                except jwt.PyJWTError:
                    verified = False
                target.expect("createToken", verified, f"client token {shown} signature does not verify")

    run()
