"""Check 3: a state machine over every resource and conversation, with its own model of the target."""

from __future__ import annotations

import itertools
import sys
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule, run_state_machine_as_test

from . import oracle
from . import strategies as gen
from .api import OPS, PATHS, billed_seconds, expect_null, ms, page_through, ts
from .declared import MADE, PLAIN, REFERENCES
from .probes import expected
from .target import BudgetExhausted, Target
from .tokens import check_livekit_token

# From the declarations: what the machine makes and deletes, each reference's target and reply field.
KINDS = tuple(r.name for r in MADE)
REFS = {field: ref.target for field, ref in REFERENCES.items()}
NESTED = {field: ref.populate for field, ref in REFERENCES.items() if ref.populate}
USAGE_TOLERANCE = 0.0015  # seconds: usage is summed in milliseconds; float printing may round the last one
SIMPLE = {kind: gen.BODIES[kind] for kind in PLAIN}


def _scalar(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k not in ("face", "voice", "brain", "knowledgeBase", "documents",
                                                      "character", "updatedAt", "transcript", "timeline")}


class ContractMachine(RuleBasedStateMachine):
    target: Target

    def __init__(self) -> None:
        super().__init__()
        t = self.target
        self._example = t.example()
        self.ex = self._example.__enter__()
        self.tag = self.ex.tag
        self.timed = bool(t.control)  # the suite owns its organization's clock: expiry and exact billing
        self.items: dict[str, dict[str, dict[str, Any]]] = {k: {} for k in (*KINDS, "conversations")}
        self.seen_updated: dict[str, str] = {}
        self.gone: dict[str, list[str]] = {k: [] for k in KINDS}
        self.newest_first = expected(t, "list_order") == "newest-first"
        self.identity_409 = expected(t, "duplicate_livekit_identity") == "409"
        self.baseline: dict[str, set[str]] = {}
        self.taken: dict[str, set[str]] = {"faces": set(), "voices": set()}
        self.now = 0
        self.usage_before = 0.0
        # Set once setup has taken stock: until then there is no model to check. Hypothesis may end an
        # example before its first rule (an overrun while shrinking), and setup itself may fail; the
        # teardown of such an example checked a bill against a baseline of 0 (a false alarm, and one
        # that every shrink candidate cut short reproduced, so shrinking never ended).
        self.ready = False
        self.documents: dict[str, dict[str, tuple[str, str]]] = {}  # knowledge base -> doc id -> (name, description)

    # --- setup -------------------------------------------------------------------------------
    @initialize(data=st.data())
    def setup(self, data: st.DataObject) -> None:
        """Take stock of the organization, then start with a character (so conversation rules are enabled
        from the first step) and a knowledge base holding a document (so every example checks a
        documents list). One initialize rule: Hypothesis may run several in any order."""
        t = self.target
        if self.timed:
            t.clock("freeze")
            self.now = t.now_ms()
        for kind in ("faces", "voices"):  # identities already live in the organization conflict with ours
            self.taken[kind] = {i["identity"] for i in t.list_all(kind)}
        if t.private:
            for kind in (*KINDS, "conversations"):
                self.baseline[kind] = {i["id"] for i in t.list_all(kind)}
        self.usage_before = self._usage(None)  # exact in a private organization, a floor in a shared one
        self.ready = True
        self.create_character(data)
        self.create_simple(data, "knowledge_bases")
        self.add_document(data)

    def teardown(self) -> None:
        # Hypothesis tears down inside a ``finally``: an exception in flight is the step's own failure
        # (or its stop), and the model may lack that step's effect. Checked again, it would replace
        # the step's failure with a misleading one of its own (a conversation "listed extra").
        failing = sys.exc_info()[1] is not None
        try:
            if getattr(self, "ready", False) and not failing:
                for kind in (*KINDS, "conversations"):
                    self._check_list(kind, 50, filtered=True)
                self.usage()  # every example ends with its bill checked
        finally:
            try:
                self._example.__exit__(None, None, None)
            finally:
                if self.timed:
                    self.target.clock("unfreeze")

    # --- helpers -----------------------------------------------------------------------------
    def _tick(self) -> None:
        """Distinct creation times, so 'newest first' has one right answer."""
        if self.timed:
            self.target.clock("advance", seconds=1)
            self.now += 1000
            self._expire()

    def _observe(self, kind: str, item: dict[str, Any], op: str) -> None:
        t = self.target
        known = self.items[kind].get(item["id"])
        if known is None:
            return
        if kind == "conversations":
            expected = {k: known[k] for k in ("status", "endedAt", "startedAt", "createdAt", "maxSeconds")}
            got = {k: item.get(k) for k in expected}
            if not self.timed and known["status"] == "running" and item["status"] == "ended":
                return  # without a clock we cannot model expiry (maxSeconds keeps it far away)
            found = oracle.differences(expected, got, oracle.reply_schema("GET", "/v3/conversations/x"))
            t.expect(op, not found, f"conversation {item['id']}: expected {expected}, got {got}")
        else:
            got = _scalar(item)
            # Under the record's rules (absent = null where optional), never by dict equality.
            found = oracle.differences(known, got, oracle.reply_schema("GET", f"{PATHS[kind]}/x"))
            t.expect(op, not found, f"{kind} {item['id']} differs from the model: {'; '.join(found[:3])}\n"
                                    f"  model {known}\n  got   {got}")
            if kind == "knowledge_bases":
                self._check_documents(item, op)
            if kind == "characters":
                for ref, nested in NESTED.items():
                    t.expect(op, (item.get(nested) or {}).get("id") == item.get(ref),
                             f"{nested} not populated for {ref}={item.get(ref)!r}")
                if item.get("knowledgeBase"):
                    self._check_documents(item["knowledgeBase"], op)
        last = self.seen_updated.get(item["id"])
        if last is not None:
            t.expect(op, ts(item["updatedAt"]) >= ts(last), f"updatedAt went back: {last} -> {item['updatedAt']}")
        self.seen_updated[item["id"]] = item["updatedAt"]

    def _check_documents(self, knowledge_base: dict[str, Any], op: str) -> None:
        """A knowledge base lists exactly the documents added to it and not deleted, once each."""
        model = self.documents.get(knowledge_base["id"])
        if model is None:
            return
        listed = knowledge_base.get("documents")
        self.target.expect(op, isinstance(listed, list), f"knowledge base {knowledge_base['id']}: documents {listed!r}")
        got = [d.get("id") for d in listed]
        self.target.expect(op, len(got) == len(set(got)), f"knowledge base lists a document twice: {got}")
        seen = {d["id"]: (d.get("name"), d.get("description")) for d in listed}
        self.target.expect(op, seen == model, f"knowledge base {knowledge_base['id']} documents differ from the "
                                              f"model: listed {seen}, added and not deleted {model}")

    def _remember(self, kind: str, item: dict[str, Any]) -> None:
        if kind == "conversations":
            self.items[kind][item["id"]] = {k: item.get(k) for k in
                                            ("status", "endedAt", "startedAt", "createdAt", "maxSeconds", "client")}
        else:
            self.items[kind][item["id"]] = _scalar(item)
        self.seen_updated[item["id"]] = item["updatedAt"]

    def _pick(self, data: st.DataObject, kind: str, *, gone: bool = False) -> str:
        # Creation order, not sorted ids: ids are random, and a replay must draw the same item.
        pool = list(self.items[kind]) + (self.gone.get(kind, []) if gone else [])
        return data.draw(st.sampled_from(pool), label=f"{kind} id")

    def _usage(self, client: str | None) -> float:
        t = self.target
        if client is None:
            reply, op = t.get("/v3/organizations/freemium-usage"), "getFreemiumUsage"
        else:
            reply, op = t.get("/v3/organizations/user-usage", params={"client": client}), "getUserUsage"
        t.expect(op, reply.status == 200, f"usage answered {reply.status}")
        return float(reply.content)

    def _check_list(self, kind: str, take: int, *, filtered: bool) -> None:
        t = self.target
        op = OPS[kind][2]
        if not filtered and len(self.baseline.get(kind, ())) > 20:
            take = 50  # conversations pile up over a run (there is no delete): page big through them
        items, totals = page_through(t, kind, take, self.tag if filtered else None)
        ids = [i["id"] for i in items]
        t.expect(op, len(ids) == len(set(ids)), f"pages overlap: duplicates in {ids}")
        t.expect(op, len(set(totals)) == 1, f"total changed between pages: {totals}")
        t.expect(op, totals[0] == len(ids), f"total {totals[0]} but the pages hold {len(ids)} items")
        mine = set(self.items[kind])
        if filtered:
            t.expect(op, set(ids) == mine, f"client filter: listed {sorted(set(ids) - mine)} extra, "
                                           f"{sorted(mine - set(ids))} missing")
            t.expect(op, all(i.get("client") == self.tag for i in items), "client filter let others through")
        elif t.private:
            expected = mine | self.baseline[kind]
            t.expect(op, set(ids) == expected, f"listed {sorted(set(ids) - expected)} extra, "
                                               f"{sorted(expected - set(ids))} missing")
        else:
            t.expect(op, mine <= set(ids), f"missing from the list: {sorted(mine - set(ids))}")
        stamps = [ms(i["createdAt"]) for i in items]
        ordered = all(a >= b for a, b in itertools.pairwise(stamps)) if self.newest_first else \
            all(a <= b for a, b in itertools.pairwise(stamps))
        t.expect(op, ordered, f"not {'newest' if self.newest_first else 'oldest'} first: {stamps}")
        for item in items:
            self._observe(kind, item, op)

    def _expire(self) -> None:
        for conversation in self.items["conversations"].values():
            if conversation["status"] == "running":
                deadline = ms(conversation["startedAt"]) + int(conversation["maxSeconds"] * 1000)
                if deadline <= self.now:
                    conversation["status"] = "ended"
                    conversation["endedAt"] = _iso_ms(deadline)

    # --- resources ------------------------------------------------------------------------------
    @rule(data=st.data(), kind=st.sampled_from(sorted(SIMPLE)))
    def create_simple(self, data: st.DataObject, kind: str) -> None:
        t = self.target
        body = data.draw(SIMPLE[kind](self.tag), label="body")
        op = OPS[kind][0]
        live_identities = {i["identity"] for i in self.items[kind].values()} if kind in self.taken else set()
        conflict = kind in self.taken and (body["identity"] in live_identities or body["identity"] in self.taken[kind])
        self._tick()
        reply = t.post(PATHS[kind], body)
        if conflict:
            t.expect(op, reply.status == 409, f"duplicate {kind[:-1]} identity {body['identity']}: {reply.status}")
            return
        t.expect(op, reply.status == 201, f"create answered {reply.status}: {reply.content[:200]!r}")
        item = reply.json()
        t.created(self.ex, kind, item["id"])
        if self.timed:
            t.expect(op, ms(item["createdAt"]) == self.now, f"createdAt {item['createdAt']} is not the clock's now")
        self._remember(kind, item)
        if kind == "knowledge_bases":
            self.documents[item["id"]] = {}
            self._check_documents(item, op)

    @rule(data=st.data())
    def create_character(self, data: st.DataObject) -> None:
        t = self.target
        body = data.draw(gen.character(self.tag, self.tag), label="character")
        dangling = []
        for ref, kind in REFS.items():
            choice = data.draw(st.sampled_from(["none", "live", "gone"]), label=ref)
            if choice == "live" and self.items[kind]:
                body[ref] = self._pick(data, kind)
            elif choice == "gone" and self.gone[kind]:
                body[ref] = data.draw(st.sampled_from(self.gone[kind]))
                dangling.append(ref)
        identities = list(dict.fromkeys(c["livekitIdentity"] for c in self.items["characters"].values()))
        if identities and data.draw(st.booleans(), label="reuse livekitIdentity"):
            body["livekitIdentity"] = data.draw(st.sampled_from(identities))
        duplicate = body["livekitIdentity"] in identities and self.identity_409
        self._tick()
        reply = t.post(PATHS["characters"], body)
        if dangling:
            t.expect("createCharacter", (400 <= reply.status < 500 and reply.status != 409) or (duplicate and
                     reply.status == 409), f"reference to deleted {dangling}: {reply.status}")
        elif duplicate:
            t.expect("createCharacter", reply.status == 409, f"duplicate livekitIdentity: {reply.status}")
        else:
            t.expect("createCharacter", reply.status == 201, f"create answered {reply.status}: {reply.content[:200]!r}")
        if reply.status == 201:
            item = reply.json()
            t.created(self.ex, "characters", item["id"])
            if not dangling and not duplicate:
                self._remember("characters", item)
                self._observe("characters", item, "createCharacter")

    @precondition(lambda self: self.items["characters"])
    @rule(data=st.data())
    def update_character(self, data: st.DataObject) -> None:
        t = self.target
        character_id = self._pick(data, "characters")
        changes = data.draw(gen.character_update(), label="changes")
        dangling = False
        for ref, kind in REFS.items():
            choice = data.draw(st.sampled_from(["keep", "keep", "null", "live", "gone"]), label=ref)
            if choice == "null":
                changes[ref] = None
            elif choice == "live" and self.items[kind]:
                changes[ref] = self._pick(data, kind)
            elif choice == "gone" and self.gone[kind]:
                changes[ref] = data.draw(st.sampled_from(self.gone[kind]))
                dangling = True
        reply = t.request("PUT", f"{PATHS['characters']}/{character_id}", json_body=changes)
        if dangling:
            t.expect("updateCharacter", 400 <= reply.status < 500, f"reference to a deleted item: {reply.status}")
            return
        t.expect("updateCharacter", reply.status == 200, f"update answered {reply.status}: {reply.content[:200]!r}")
        self.items["characters"][character_id].update(changes)
        self._observe("characters", reply.json(), "updateCharacter")

    @precondition(lambda self: self.items["brains"] or self.items["voices"])
    @rule(data=st.data())
    def update_brain_or_voice(self, data: st.DataObject) -> None:
        t = self.target
        kind = data.draw(st.sampled_from([k for k in ("brains", "voices") if self.items[k]]))
        item_id = self._pick(data, kind)
        changes = data.draw(SIMPLE[kind](self.tag), label="changes")
        op = "updateBrain" if kind == "brains" else "updateVoice"
        others = {v["identity"] for i, v in self.items["voices"].items() if i != item_id} | self.taken["voices"]
        reply = t.request("PATCH", f"{PATHS[kind]}/{item_id}", json_body=changes)
        if kind == "voices" and changes["identity"] in others:
            t.expect(op, reply.status == 409, f"voice identity {changes['identity']} taken: {reply.status}")
            return
        t.expect(op, reply.status == 200, f"update answered {reply.status}: {reply.content[:200]!r}")
        self.items[kind][item_id].update(changes)
        self._observe(kind, reply.json(), op)

    @precondition(lambda self: any(self.items[k] for k in KINDS))
    @rule(data=st.data())
    def delete(self, data: st.DataObject) -> None:
        t = self.target
        kind = data.draw(st.sampled_from([k for k in KINDS if self.items[k]]), label="kind")
        item_id = self._pick(data, kind)
        op = OPS[kind][3]
        reply = t.request("DELETE", f"{PATHS[kind]}/{item_id}")
        t.expect(op, reply.status == 200 and not reply.is_null and reply.json()["id"] == item_id,
                 f"delete answered {reply.status} {reply.content[:120]!r}")
        del self.items[kind][item_id]
        self.documents.pop(item_id, None)
        self.gone[kind].append(item_id)
        ref = next((r for r, k in REFS.items() if k == kind), None)
        if ref is not None:  # references to a deleted item are cleared
            for character in self.items["characters"].values():
                if character.get(ref) == item_id:
                    character[ref] = None

    @precondition(lambda self: any(self.items[k] or self.gone[k] for k in KINDS))
    @rule(data=st.data())
    def get(self, data: st.DataObject) -> None:
        t = self.target
        kind = data.draw(st.sampled_from([k for k in KINDS if self.items[k] or self.gone[k]]), label="kind")
        item_id = self._pick(data, kind, gone=True)
        reply = t.get(f"{PATHS[kind]}/{item_id}")
        if item_id in self.items[kind]:
            t.expect(OPS[kind][1], reply.status == 200 and not reply.is_null, f"get answered {reply.status}")
            self._observe(kind, reply.json(), OPS[kind][1])
        else:
            expect_null(t, OPS[kind][1], reply, "get of a deleted item")

    @rule(kind=st.sampled_from([*KINDS, "conversations"]), take=st.sampled_from([1, 2, 3, 7, 50]),
          filtered=st.booleans())
    def list_pages(self, kind: str, take: int, filtered: bool) -> None:
        self._check_list(kind, take, filtered=filtered)

    # --- knowledge base documents ---------------------------------------------------------------
    @precondition(lambda self: self.items["knowledge_bases"])
    @rule(data=st.data())
    def add_document(self, data: st.DataObject) -> None:
        t = self.target
        kb_id = self._pick(data, "knowledge_bases")
        body = data.draw(gen.document(), label="document")
        self._tick()
        reply = t.post(f"{PATHS['knowledge_bases']}/{kb_id}/documents", body)
        t.expect("addDocument", reply.status == 201, f"add document answered {reply.status}: {reply.content[:200]!r}")
        document = reply.json()["document"]
        t.expect("addDocument", document["knowledgeBaseId"] == kb_id and document["name"] == body["name"]
                 and document["description"] == body["description"], f"document {document} is not what was sent")
        self.documents[kb_id][document["id"]] = (body["name"], body["description"])

    @precondition(lambda self: any(self.documents.values()))
    @rule(data=st.data())
    def delete_document(self, data: st.DataObject) -> None:
        t = self.target
        kb_id = data.draw(st.sampled_from([k for k, docs in self.documents.items() if docs]), label="knowledge base")
        doc_id = data.draw(st.sampled_from(list(self.documents[kb_id])), label="document")
        reply = t.request("DELETE", f"{PATHS['knowledge_bases']}/{kb_id}/documents/{doc_id}")
        t.expect("deleteDocument", reply.status == 200 and not reply.is_null and reply.json()["id"] == doc_id,
                 f"delete document answered {reply.status} {reply.content[:120]!r}")
        del self.documents[kb_id][doc_id]

    # --- conversations ------------------------------------------------------------------------
    @precondition(lambda self: self.items["characters"])
    @rule(data=st.data())
    def start_conversation(self, data: st.DataObject) -> None:
        t = self.target
        character_id = self._pick(data, "characters")
        body = data.draw(gen.conversation(self.tag, character_id), label="conversation")
        if not self.timed:
            body["maxSeconds"] = max(body["maxSeconds"], 30)  # far enough that it cannot expire mid-example
        self._tick()
        try:
            reply = t.start_conversation(self.ex, body)
        except BudgetExhausted:
            return
        op = "startConversation"
        t.expect(op, reply.status == 201, f"start answered {reply.status}: {reply.content[:200]!r}")
        started = reply.json()
        conversation = started["conversation"]
        sent_max = (t.max_seconds_cap and min(body["maxSeconds"], t.max_seconds_cap)) or body["maxSeconds"]
        t.expect(op, conversation["status"] == "running", f"started as {conversation['status']}")
        t.expect(op, conversation["maxSeconds"] == sent_max, f"maxSeconds {conversation['maxSeconds']} != {sent_max}")
        t.expect(op, conversation["startedAt"] == conversation["createdAt"], "startedAt != createdAt")
        t.expect(op, conversation["characterId"] == character_id and conversation["character"]["id"] == character_id,
                 "wrong character")
        t.expect(op, conversation["client"] == self.tag, "client tag not kept")
        if self.timed:
            t.expect(op, ms(conversation["startedAt"]) == self.now, "startedAt is not the clock's now")
        for role, token_key in (("consumer", "consumerAccessToken"), ("remoteAgent", "remoteAgentAccessToken")):
            token = started.get(token_key)
            if role in body:
                check_livekit_token(t, token, conversation, body[role], ms(conversation["startedAt"]) / 1000)
            else:
                t.expect(op, token is None, f"{token_key} minted without a {role}")
        self._remember("conversations", conversation)

    @precondition(lambda self: any(c["status"] == "running" for c in self.items["conversations"].values()))
    @rule(data=st.data(), again=st.booleans())
    def stop_conversation(self, data: st.DataObject, again: bool) -> None:
        t = self.target
        running = [i for i, c in self.items["conversations"].items() if c["status"] == "running"]
        conversation_id = data.draw(st.sampled_from(running), label="conversation")
        reply = t.request("POST", f"/v3/conversations/{conversation_id}/stop")
        t.expect("stopConversation", reply.status == 201 and not reply.is_null, f"stop answered {reply.status}")
        stopped = reply.json()
        model = self.items["conversations"][conversation_id]
        t.expect("stopConversation", stopped["status"] == "ended" and stopped["endedAt"] is not None,
                 f"stopped conversation is {stopped['status']}")
        if conversation_id in self.ex.running:
            self.ex.running.remove(conversation_id)
        t.expect("stopConversation", ts(stopped["endedAt"]) >= ts(model["startedAt"]), "endedAt before startedAt")
        if self.timed:
            t.expect("stopConversation", ms(stopped["endedAt"]) == self.now, "endedAt is not the clock's now")
        model["status"], model["endedAt"] = "ended", stopped["endedAt"]
        self._observe("conversations", stopped, "stopConversation")
        if again:
            expect_null(t, "stopConversation", t.request("POST", f"/v3/conversations/{conversation_id}/stop"),
                        "double stop")

    @precondition(lambda self: self.timed)
    @rule(seconds=st.sampled_from([1, 5, 30, 61, 600, 3601]))
    def advance_clock(self, seconds: int) -> None:
        self.target.clock("advance", seconds=seconds)
        self.now += seconds * 1000
        self._expire()

    @precondition(lambda self: self.items["conversations"])
    @rule(data=st.data())
    def get_conversation(self, data: st.DataObject) -> None:
        t = self.target
        conversation_id = self._pick(data, "conversations")
        reply = t.get(f"/v3/conversations/{conversation_id}")
        t.expect("getConversationById", reply.status == 200 and not reply.is_null, f"get answered {reply.status}")
        self._observe("conversations", reply.json(), "getConversationById")

    @rule()
    def usage(self) -> None:
        """Billing against the model: the client tag's usage and the organization's freemium usage.

        Exact when the suite owns the clock, or when nothing of ours is running; otherwise (running
        conversations on real time) a lower bound: what has ended so far. The organization's total is
        exact only in a private organization; in a shared one (the real API) others add to it, so only
        its growth since setup is bounded below.
        """
        t = self.target
        conversations = self.items["conversations"].values()
        exact = self.timed or all(c["status"] != "running" for c in conversations)
        expected = sum(((ms(c["endedAt"]) if c["endedAt"] else self.now) - ms(c["startedAt"]))
                       for c in conversations if exact or c["endedAt"]) / 1000
        used = self._usage(self.tag)
        if exact:
            t.expect("getUserUsage", abs(used - expected) < USAGE_TOLERANCE, f"user usage {used}, expected {expected}")
        else:
            t.expect("getUserUsage", used >= expected - USAGE_TOLERANCE,
                     f"user usage {used}, but conversations that ended already ran {expected}s")
        total = self._usage(None)
        if t.private and exact:
            # Every conversation of a private organization is listed: its bill is theirs, exactly.
            billed = billed_seconds(t.list_all("conversations"), self.now if self.timed else None)
            t.expect("getFreemiumUsage", billed is not None and abs(total - billed) < USAGE_TOLERANCE,
                     f"freemium usage {total}, the organization's conversations ran {billed}s")
            t.expect("getFreemiumUsage", abs(total - self.usage_before - expected) < USAGE_TOLERANCE,
                     f"freemium usage {total}, expected {self.usage_before} + {expected}")
        else:
            t.expect("getFreemiumUsage", total - self.usage_before >= expected - USAGE_TOLERANCE,
                     f"freemium usage {total} grew less than our conversations ran: {self.usage_before} + "
                     f"{expected}")


def _iso_ms(value: int) -> str:
    from datetime import UTC, datetime

    moment = datetime.fromtimestamp(value / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def test_state_machine(equos_target: Target) -> None:
    machine = type("Machine", (ContractMachine,), {"target": equos_target})
    run_state_machine_as_test(machine, settings=settings())

