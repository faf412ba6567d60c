"""The rules the suite claims to check, each owned by one test, and what a target needs for it.

A check counts for its rule with ``target.rule(NAME, ok, message)``: the report gains a table of the
rules (times exercised, examples that reached it), and a run fails when a rule whose test ran and
passed was never exercised, unless the target cannot support it (``needs`` names what is missing;
the report says so). Detection never rests on chance: a rule claimed is a rule exercised.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    name: str
    klass: int  # the class of issue 23
    test: str  # the test function that exercises it ("a|b": either)
    what: str
    needs: str | None = None  # control | second_key | livekit_secret | conversations | private


NEEDS = {
    "control": "needs the control plane (a clock to move, an organization's settings, conversation events)",
    "second_key": "needs a second organization's key (--equos-second-key / EQUOS_SECOND_API_KEY)",
    "livekit_secret": "needs the LiveKit secret (--equos-livekit-secret) to verify a token's signature",
    "conversations": "the live conversation budget was used up before this rule's test could start one",
    "private": "needs a private organization (a made-up key on a mock with open keys): totals are exact only there",
}

_W, _E, _R, _I, _D, _P = ("test_conversation_walk", "test_expiry_in_real_time|test_expiry_views", "test_paging_ranges",
                          "test_isolation_with_a_second_key", "test_document_lifecycle", "test_paging_boundaries")

RULES: tuple[Rule, ...] = (
    # 1. round trip
    Rule("round_trip.character", 1, _W, "a character's fields read back as sent: reply, get, filtered list"),
    Rule("round_trip.conversation", 1, _W, "every field sent to start reads back: reply, get, lists "
                                           "(consumer, remoteAgent, promptCtx, promptTemplateVars, client)"),
    Rule("round_trip.embedding", 1, _W, "an embedded object reads as its own get (brain, voice, knowledge base "
                                        "in a character; the character in a started conversation)"),
    Rule("round_trip.embedding_after_update", 1, _W, "after an update every embedding reads the new values"),
    Rule("round_trip.put_null", 1, _W, "a PUT that sets an optional field to null reads it null or absent"),
    # 2. views agree over time
    Rule("views.conversation", 2, _W, "get, filtered list, list page and total agree after start and stop"),
    Rule("views.referenced_deleted", 2, _W, "a conversation is still read and listed after its character is deleted"),
    Rule("views.expired", 2, _E, "after expiry by maxSeconds: ended with endedAt = startedAt + maxSeconds in get, "
                                 "filtered list and list, just before still running everywhere"),
    Rule("views.errored", 2, _E, "an errored conversation reads the same in get and lists", "control"),
    Rule("views.filtered_total", 2, _W, "a filtered list with no match has total 0"),
    # 3. inputs across their range, and their effect
    Rule("range.max_seconds_echo", 3, _W, "maxSeconds across its range (fractional too) reads back as sent"),
    Rule("range.max_seconds_expiry", 3, _E, "for large maxSeconds too, running just before the deadline and "
                                            "ended just past it", "control"),
    Rule("range.duration_limit", 3, _E, "maxSeconds up to an organization's durationLimit starts; above it is "
                                        "refused or lowered to it (per the max_seconds probe)", "control"),
    Rule("range.paging", 3, _R, "take across 1..50 and skip across 0..past the end (integral floats too) give "
                                "the matching slice of the list, total unchanged"),
    # 4. tokens
    Rule("tokens.claims", 4, _W, "consumer and remote agent tokens: sub and name as given, the conversation's "
                                 "room, the grants a participant needs and none of an admin's"),
    Rule("tokens.lifetime", 4, _W, "nbf/exp: valid from the start (5 s skew) until at least the conversation's "
                                   "end, and at most a day past it"),
    Rule("tokens.own_room", 4, _W, "each conversation has its own room, the same across every read"),
    Rule("tokens.verify", 4, _W, "room tokens verify with livekit-api's TokenVerifier", "livekit_secret"),
    Rule("tokens.client", 4, "test_client_tokens", "client tokens: sub is the user, the client and character "
                                                   "claims (where present) are the ones sent, lifetime 1 min to 1 day"),
    # 5. billing
    Rule("billing.client_exact", 5, _W, "usage of a run's unique client tag is exactly the sum of its own "
                                        "conversations, running ones included, and moves when they do"),
    Rule("billing.freemium_exact", 5, _W, "in a private organization the freemium total is exact", "private"),
    # 6. isolation
    Rule("isolation.second_key", 6, _I, "another organization cannot read, list, update, delete, reference, "
                                        "start with, stop, add documents to, token or bill our objects",
         "second_key"),
    # 8. error replies and lifecycles
    Rule("errors.envelope", 8, "test_invalid_bodies_rejected", "every provoked 4xx: the status, and the "
                                                               "envelope's statusCode and message"),
    Rule("lifecycle.document", 8, _D, "a document goes upload URL -> upload -> indexed, every view agreeing; "
                                      "expireAt in the future, within 7 days"),
    # 9. open world: boundaries probed on their own
    Rule("boundaries.paging", 9, _P, "take above 50 and below 1, skip below 0: each boundary answers as its own "
                                     "first observation says (refused, or clamped into range)"),
)
BY_NAME = {rule.name: rule for rule in RULES}
# The tests that start conversations: on a live target their rules may meet a used-up budget.
CONVERSATION_TESTS = frozenset({"test_conversation_walk", "test_expiry_in_real_time", "test_expiry_views",
                                "test_isolation_with_a_second_key"})
