"""Fuzz the mock with schemathesis: every check, every phase (stateful included), in-process over ASGI.

    python scripts/fuzz.py --max-examples 200 --seed 1

The test suite runs the same function with a small budget (tests/mock_server/reliability/test_fuzz.py).
Exit status 0 means no failure: no 5xx and no reply outside its documented schema.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mock_server import create_app
from mock_server.app import V3_OPERATIONS
from mock_server.settings import Settings

FUZZ_KEY = "sk_fuzz_reliability"

# The profiles fuzzed. Keys are configured so `ignored_auth` can check that a wrong key is refused
# (with open keys every key is valid by design). `null_result=404` because the default `empty`
# reply (200, no body, no Content-Type: NestJS's answer for a null result) cannot be written next
# to a JSON 200 reply in one OpenAPI response, and `use_after_free` wants a 404 after a delete;
# the default is pinned by tests/mock_server/reliability/test_fuzz_regressions.py instead.
PROFILES: dict[str, dict[str, str]] = {
    "null-404": {"null_result": "404"},
    # page_limit=clamp is not fuzzed: it accepts by design the out-of-range take/skip the document forbids.
    "null-404-json-usage": {"null_result": "404", "freemium_usage_type": "json", "list_order": "oldest-first",
                            "id_style": "prefixed"},
}

# Statuses that reject a request; 413 is the documented answer to a body over 1 MiB, which a
# schema-valid body can reach (100,000 escaped characters), so it counts as a rejection either way.
REJECTIONS = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429"]

# The real API documents every JSON body as required (NestJS; the SDK's record says so) yet reads an
# absent body as {}, and so does the mock: where {} is a valid body, leaving the body out is accepted.
EMPTY_BODY_OK = {f"{op.method} {op.path}" for op in V3_OPERATIONS
                 if op.body is not None and not any(f.is_required() for f in op.body.model_fields.values())}
ABSENT_BODY = "Missing request body"


@dataclass
class FuzzResult:
    profile: str
    requests: int = 0
    cases: int = 0
    failures: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    phases: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    events: dict[str, int] = field(default_factory=dict)  # every engine event seen, for diagnosis


def config(max_examples: int, seed: int, max_time: int | None) -> Any:
    from schemathesis.config import SchemathesisConfig

    data: dict[str, Any] = {
        "seed": seed,
        "headers": {"x-api-key": FUZZ_KEY},
        "workers": 1,
        "generation": {"max-examples": max_examples, "mode": "all"},
        "phases": {"examples": {"enabled": True}, "coverage": {"enabled": True}, "fuzzing": {"enabled": True},
                   "stateful": {"enabled": True, "max-steps": 10}},
        "checks": {"enabled": True,
                   "negative_data_rejection": {"expected-statuses": REJECTIONS},
                   "positive_data_acceptance": {"expected-statuses": ["2XX", "401", "403", "404", "409", "413"]}},
        "suppress-health-check": ["all"],
        "cache": {"enabled": False},  # no .schemathesis/ crash cache in the working tree
    }
    if max_time is not None:
        data["max-time"] = max_time
    return SchemathesisConfig.from_dict(data)


def run(profile: str = "null-404", *, max_examples: int = 10, seed: int = 1, max_time: int | None = None,
        data_dir: str | None = None) -> FuzzResult:
    import schemathesis
    from schemathesis.engine import Status, events, from_schema

    app = create_app(Settings(api_keys=(FUZZ_KEY,), assumptions=PROFILES[profile], seed=seed, data_dir=data_dir))
    # The test client's Host is "testserver"; /docs/ answers loopback names only (host_guard).
    schema = schemathesis.openapi.from_asgi("/docs/v3-json", app, config=config(max_examples, seed, max_time),
                                            headers={"host": "localhost"})
    # The deprecated legacy aliases (/v3/sessions, /v3/agents, ...) carry rules a JSON schema cannot state
    # (refImage must decode to an image, a PUT body's id must match its path); tests/mock_server/api/legacy covers them.
    schema = schema.exclude(deprecated=True)

    @schema.hook
    def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
        return not (case.operation.label in EMPTY_BODY_OK and ABSENT_BODY in failure.message)

    result = FuzzResult(profile)
    started = time.monotonic()
    for event in from_schema(schema).execute():
        result.events[type(event).__name__] = result.events.get(type(event).__name__, 0) + 1
        if isinstance(event, events.ScenarioFinished):
            recorder = event.recorder
            result.cases += len(recorder.cases)
            result.requests += len(recorder.interactions)
            for case_id, checks in recorder.checks.items():
                for check in checks:
                    if check.status == Status.FAILURE and check.failure_info is not None:
                        failure = check.failure_info.failure
                        interaction = recorder.interactions.get(case_id)
                        request = ""
                        if interaction is not None:
                            request = f" {interaction.request.method} {interaction.request.uri}"
                            if interaction.response is not None:
                                request += f" -> {interaction.response.status_code}"
                        result.failures.append(f"[{event.phase}] {check.name}: {failure.title}{request}\n"
                                               f"    {failure.message}"[:2000])
        elif isinstance(event, events.NonFatalError):
            result.errors.append(f"{event.label}: {event.info.format()}"[:2000])
        elif isinstance(event, events.FatalError):
            result.errors.append(f"fatal: {event.exception!r}")
        elif isinstance(event, events.PhaseFinished):
            result.phases[event.phase.name.value] = event.status.value if event.status else "?"
    result.seconds = time.monotonic() - started
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--max-examples", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-time", type=int, default=None, help="seconds per profile")
    parser.add_argument("--profile", action="append", choices=sorted(PROFILES), help="default: all")
    parser.add_argument("--data-dir", help="fuzz with persistence in this (fresh) directory")
    args = parser.parse_args(argv)
    bad = 0
    for profile in args.profile or list(PROFILES):
        data_dir = f"{args.data_dir}/{profile}" if args.data_dir else None
        result = run(profile, max_examples=args.max_examples, seed=args.seed, max_time=args.max_time,
                     data_dir=data_dir)
        print(f"{profile}: {result.requests} requests, {result.cases} cases, {len(result.failures)} failures, "
              f"{len(result.errors)} errors in {result.seconds:.1f}s; phases {result.phases}")
        for line in [*result.failures, *result.errors]:
            print("  " + line)
        bad += len(result.failures) + len(result.errors)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
