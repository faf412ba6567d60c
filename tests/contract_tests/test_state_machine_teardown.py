"""The state machine's teardown checks only a model that setup made.

Hypothesis calls ``teardown`` at the end of every example, however it ended: also when it stopped the
example before the first rule (an overrun, common while shrinking) or when setup itself failed. Such
a teardown once checked the organization's bill against a baseline of 0 and failed on a correct
target whose organization had billed time (a false alarm of the ci profile on a served mock, which
every cut-short shrink candidate reproduced, so shrinking outlasted the CI step).
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from contract_tests.api import create
from contract_tests.options import RunOptions
from contract_tests.report import Fidelity
from contract_tests.target import Target
from contract_tests.test_stateful import ContractMachine


def _target(app: str | None) -> Target:
    options = RunOptions(base_url=None, api_key=None, live_allowed=False, treat_as_live=False, livekit_secret=None,
                         livekit_key=None, max_conversations=None, max_seconds=None, rate=None, report=None,
                         profile="ci", compare_url=None, compare_api_key=None, run_id=None, app=app)
    return Target(options, Fidelity(target={}))


def _billed_time(target: Target) -> None:
    """A conversation that ran and was stopped: the organization's bill is no longer 0."""
    with target.example() as ex:
        character = create(target, ex, "characters", {"name": "bill", "livekitIdentity": f"{ex.tag}-b",
                                                      "client": ex.tag}).json()
        started = target.start_conversation(ex, {"name": "bill", "characterId": character["id"], "client": ex.tag,
                                                 "maxSeconds": 60}).json()["conversation"]
        if target.control:
            target.clock("advance", seconds=5)
        else:
            time.sleep(0.05)  # real time: long enough to bill some milliseconds
        stopped = target.post(f"/v3/conversations/{started['id']}/stop")
        assert stopped.status == 201
        ex.running.remove(started["id"])


@pytest.mark.parametrize("app", [None, "contract_realities:no_control_plane"], ids=["visible", "hidden"])
def test_an_example_stopped_before_setup_tears_down_quietly(app: Any) -> None:
    target = _target(app)
    try:
        _billed_time(target)
        assert float(target.get("/v3/organizations/freemium-usage").content) > 0
        machine = type("Machine", (ContractMachine,), {"target": target})()
        machine.teardown()  # what Hypothesis does when it stops the example before the first rule
        assert target._open == []  # the example was still closed (its cleanup ran)
    finally:
        target.close()


def test_a_failed_step_is_reported_as_itself() -> None:
    """A step that started a conversation and then raised (as when livekit-api was missing from the
    user's install): the teardown must not replace that failure with one about the stale model."""
    target = _target(None)
    try:
        machine = type("Machine", (ContractMachine,), {"target": target})()
        machine.ready, machine.now = True, target.now_ms()
        machine.usage_before = float(target.get("/v3/organizations/freemium-usage").content)
        character = create(target, machine.ex, "characters", {"name": "s", "livekitIdentity": f"{machine.tag}-s",
                                                              "client": machine.tag}).json()
        target.start_conversation(machine.ex, {"name": "s", "characterId": character["id"], "client": machine.tag,
                                               "maxSeconds": 60})
        with pytest.raises(ModuleNotFoundError, match="the step's own failure"):
            try:
                raise ModuleNotFoundError("the step's own failure")
            finally:
                machine.teardown()
        assert target._open == []
    finally:
        target.close()
