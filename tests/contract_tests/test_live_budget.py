"""A real-looking target: a loopback mock without the control plane that accepts one configured key,
run in live mode. The suite must pass it and keep to the live budget (contract_tests/options.py): at
most LIVE_MAX_CONVERSATIONS conversations, none left running, and a run time at LIVE_RATE requests a
second within LIVE_RUN_SECONDS.

The run here goes at 50 requests a second to spare CI time; its time at the live rate is bounded by
the requests it sent over LIVE_RATE plus this run's own wall time (which holds every real wait).
Measured once at the live rate itself, on a loaded machine: 88 s, 44 passed, 5 conversations started.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import timedelta

import pytest
from contract_runner import run_suite  # type: ignore[import-not-found]

from contract_tests.options import LIVE_MAX_CONVERSATIONS, LIVE_MAX_SECONDS, LIVE_RATE, LIVE_RUN_SECONDS
from mock_server.server import MockServer
from mock_server.settings import Settings

pytestmark = pytest.mark.slow  # the contract suite in a fresh pytest process, in real time


@pytest.mark.parametrize("profile", ["live", "ci"])
def test_live_run_on_a_real_looking_target_keeps_the_budget(tmp_path, profile):
    key = f"sk_live_looking_{uuid.uuid4().hex}"
    report = tmp_path / "fidelity.json"
    with MockServer(Settings(port=0, control_plane=False, api_keys=(key,))) as server:
        started = time.monotonic()
        result = run_suite("--equos-base-url", server.url, "--equos-api-key", key, "--equos-treat-as-live",
                           "--equos-live", "--equos-rate", "50", "--equos-report", str(report), "-p", "no:warnings",
                           "--equos-profile", profile,
                           timeout=900)
        wall = time.monotonic() - started
        org = server.runtime.store.organization_for_key(key)
        now = server.runtime.clock.now()
        conversations = list(org.conversations.values()) if org is not None else []
    assert result.returncode == 0, result.stdout[-4000:]
    assert key not in result.stdout + result.stderr
    target = json.loads(report.read_text())["target"]
    assert target["live"] is True and target["control_plane"] is False and target["private_organization"] is False
    assert target["conversations_started"] <= LIVE_MAX_CONVERSATIONS
    assert len(conversations) <= LIVE_MAX_CONVERSATIONS
    deadline = [c.startedAt + timedelta(seconds=c.maxSeconds) for c in conversations]
    running = [c.id for c, end in zip(conversations, deadline, strict=True) if c.endedAt is None and end > now]
    assert running == []
    billed = sum(((c.endedAt or end) - c.startedAt).total_seconds() for c, end in zip(conversations, deadline,
                                                                                       strict=True))
    # The max_seconds probe sends a value above the cap on purpose; what runs is what is billed.
    assert billed <= LIVE_MAX_CONVERSATIONS * LIVE_MAX_SECONDS
    at_live_rate = target["requests_sent"] / LIVE_RATE + wall
    rules = json.loads(report.read_text())["rules"]
    # One key, no control plane, no LiveKit secret: every rule is exercised or says why it cannot be.
    assert all(row["status"] == "ok" or row["status"].startswith("not supported") for row in rules.values()), rules
    print(f"\nlive run ({profile} profile): {wall:.1f}s at 50/s, {target['requests_sent']} requests, "
          f"{len(conversations)} conversations "
          f"billed {billed:.1f}s; at {LIVE_RATE:g}/s at most {at_live_rate:.0f}s")
    assert at_live_rate <= LIVE_RUN_SECONDS
