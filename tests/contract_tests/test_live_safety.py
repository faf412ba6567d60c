"""Live-safety dry run, on loopback only: a mock treated as live is refused without --equos-live,
and with it nothing the run created survives, even when the run is interrupted with Ctrl-C."""

from __future__ import annotations

import signal
import subprocess
import time
import uuid
from typing import Any

import pytest
from contract_runner import ROOT, suite_command, suite_env  # type: ignore[import-not-found]

from contract_tests.declared import MADE
from mock_server.server import MockServer

pytestmark = pytest.mark.slow  # the contract suite in fresh pytest processes, interrupted by signals

RESET_SIGINT = ("import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
                "signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT}); import pytest; "
                "sys.exit(pytest.main(sys.argv[1:]))")
KINDS = tuple(r.name for r in MADE)  # every resource the suite makes and deletes


def _tagged(server: MockServer, key: str, tag: str) -> dict[str, int]:
    org = server.runtime.store.organization_for_key(key)
    if org is None:
        return {}
    return {kind: sum(1 for item in org.collection(kind).values() if (item.client or "").startswith(tag))
            for kind in KINDS}


def test_live_target_refused_without_live_flag():
    key = f"sk_dry_{uuid.uuid4().hex}"
    with MockServer() as server:
        result = subprocess.run(
            suite_command("--equos-base-url", server.url, "--equos-api-key", key, "--equos-treat-as-live"),
            capture_output=True, text=True, timeout=120, env=suite_env(), cwd=str(ROOT))
        assert result.returncode == 4, result.stdout[-2000:] + result.stderr[-2000:]
        assert "refusing to run against a live target without --equos-live" in result.stdout + result.stderr
        assert server.runtime.store.organization_for_key(key) is None  # not one API call reached the mock
        assert key not in result.stdout + result.stderr


def _interrupted(output: str) -> bool:
    return "KeyboardInterrupt" in output or "Interrupted" in output or "interrupted" in output


def _interrupt_a_live_run() -> tuple[str, dict[str, int], dict[str, int], list[Any], Any, str]:
    """Start a live-mode run against a loopback mock, Ctrl-C it once it holds resources and has started
    conversations, and return what it printed and what it left behind.

    Under `.ci/run` (xdist, 2 workers) runs started with plain ``python -m pytest`` ignored the SIGINT
    four times in a row, cause not found; started through RESET_SIGINT they take it. The rate limit of
    10 requests a second leaves well over 30 s of run when the signal comes.
    """
    key = f"sk_dry_{uuid.uuid4().hex}"
    run_id = uuid.uuid4().hex[:10]
    tag = f"contract-{run_id}"
    with MockServer() as server:
        command = suite_command("--equos-base-url", server.url, "--equos-api-key", key, "--equos-treat-as-live",
                                "--equos-live", "--equos-run-id", run_id, "--equos-rate", "10", "-p", "no:warnings")
        # A child inherits an ignored or blocked SIGINT; give the run the default one, as a terminal would.
        command = [command[0], "-c", RESET_SIGINT, *command[3:]]
        process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=suite_env(), cwd=str(ROOT))
        try:
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline and process.poll() is None:
                org = server.runtime.store.organization_for_key(key)
                if org is not None and sum(_tagged(server, key, tag).values()) >= 2 and len(org.conversations) >= 1:
                    break
                time.sleep(0.05)
            assert process.poll() is None, "the run ended before it could be interrupted"
            created_before = dict(_tagged(server, key, tag))
            process.send_signal(signal.SIGINT)
            output, _ = process.communicate(timeout=120)
        finally:
            if process.poll() is None:
                process.kill()
        return (output, created_before, _tagged(server, key, tag), server.control.running_conversations(key=key),
                server.runtime.store.organization_for_key(key), key)


def test_interrupted_live_run_leaves_nothing_behind():
    output, created_before, left, running, org, key = _interrupt_a_live_run()
    assert sum(created_before.values()) >= 2
    assert left == {kind: 0 for kind in KINDS}, output[-3000:]
    assert running == [], running
    assert len(org.conversations) <= 5  # the live budget
    assert all(c.maxSeconds <= 60 for c in org.conversations.values())  # the live cap
    assert key not in output
    if not _interrupted(output):
        # Seen only under xdist in CI before RESET_SIGINT, cause not found; the cleanup checks above still
        # ran and passed, and the xfail keeps the symptom visible.
        pytest.xfail("the run finished as if the SIGINT never came")
