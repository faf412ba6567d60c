"""The fidelity report: per operation, checks run and passed; per assumption, what the target showed."""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from mock_server.assumptions import REGISTRY
from mock_server.masking import mask_secret, mask_value

# Field names whose values are shown only as a fingerprint (besides the ones the journal masks).
SECRET_NAME = re.compile(r"secret|token|password|passwd|api_?key|apikey|credential|signature|private", re.I)
EXAMPLE_CHARS = 80
# Keys the fingerprints the suite prints: a fresh secret per run, so a printed fingerprint cannot be
# tested against guessed keys.
RUN_SECRET = secrets.token_bytes(32)


@dataclass
class OperationTally:
    run: int = 0
    passed: int = 0
    failures: list[str] = field(default_factory=list)


@dataclass
class RuleTally:
    exercised: int = 0
    passed: int = 0
    examples: set[str] = field(default_factory=set)


@dataclass
class Fidelity:
    target: dict[str, Any] = field(default_factory=dict)
    operations: dict[str, OperationTally] = field(default_factory=dict)
    assumptions: dict[str, dict[str, Any]] = field(default_factory=dict)
    published_differences: list[str] | None = None
    differential: list[str] = field(default_factory=list)
    cleanup: dict[str, Any] = field(default_factory=dict)
    added_fields: dict[str, dict[str, str]] = field(default_factory=dict)  # schema -> field -> example
    rules: dict[str, RuleTally] = field(default_factory=dict)
    rule_status: dict[str, str] = field(default_factory=dict)  # rule -> "ok", "not supported: ...", ...
    seconds: float | None = None

    def rule(self, name: str, ok: bool, example: str | None) -> None:
        tally = self.rules.setdefault(name, RuleTally())
        tally.exercised += 1
        tally.passed += int(bool(ok))
        if example:
            tally.examples.add(example)

    def strength(self) -> dict[str, Any]:
        from .rules import RULES

        exercised = [r.name for r in RULES if self.rules.get(r.name, RuleTally()).exercised]
        examples = set().union(*(t.examples for t in self.rules.values())) if self.rules else set()
        return {"rules_claimed": len(RULES), "rules_exercised": len(exercised),
                "checks": sum(t.exercised for t in self.rules.values()), "examples": len(examples),
                "seconds": None if self.seconds is None else round(self.seconds, 1)}

    def check(self, operation: str, ok: bool, failure: str = "") -> None:
        tally = self.operations.setdefault(operation, OperationTally())
        tally.run += 1
        if ok:
            tally.passed += 1
        elif failure and failure not in tally.failures and len(tally.failures) < 5:
            tally.failures.append(failure)

    def added(self, schema: str, name: str, value: Any) -> None:
        """A property the record does not know: kept with its first example value, masked if secret."""
        fields = self.added_fields.setdefault(schema, {})
        if name not in fields:
            fields[name] = example(name, value)

    def observe(self, name: str, observed: str | None, evidence: str) -> None:
        assumption = next(a for a in REGISTRY if a.name == name)
        # A known alternative names the mock's switch that makes it behave like the target.
        switch = f"--set {name}={observed}" if observed in assumption.alternatives else None
        self.assumptions[name] = {"default": assumption.default, "observed": observed,
                                  # unknown (None) when the probe cannot know, as for one never probed
                                  "matches_default": None if observed is None else observed == assumption.default,
                                  "evidence": evidence,
                                  "switch": switch}

    def as_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "operations": {name: {"run": t.run, "passed": t.passed, "failures": t.failures}
                           for name, t in sorted(self.operations.items())},
            "assumptions": {a.name: self.assumptions.get(a.name, {"default": a.default, "observed": None,
                                                                  "matches_default": None,
                                                                  "evidence": "not probed"})
                            for a in REGISTRY},
            "fields_the_target_adds": {schema: dict(sorted(fields.items()))
                                       for schema, fields in sorted(self.added_fields.items())},
            "published_differences": self.published_differences,
            "differential": self.differential,
            "cleanup": self.cleanup,
            "rules": self.rules_table(),
            "strength": self.strength(),
        }

    def rules_table(self) -> dict[str, dict[str, Any]]:
        from .rules import RULES

        out = {}
        for rule in RULES:
            tally = self.rules.get(rule.name, RuleTally())
            out[rule.name] = {"class": rule.klass, "exercised": tally.exercised, "passed": tally.passed,
                              "examples": len(tally.examples),
                              "status": self.rule_status.get(rule.name, "not run")}
        return out

    def write(self, path: str) -> None:
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(self.as_json(), handle, indent=2, sort_keys=False)
            handle.write("\n")

    def lines(self) -> list[str]:
        data = self.as_json()
        out = [f"target: {data['target'].get('url')}  live: {data['target'].get('live')}  "
               f"control plane: {data['target'].get('control_plane')}"]
        # Each column as wide as its widest cell, so every row lines up whatever the names.
        wide = max([len("operation"), *map(len, data["operations"])])
        out.append(f"{'operation':<{wide}} {'checks':>7} {'passed':>7}")
        for name, tally in data["operations"].items():
            mark = "" if tally["run"] == tally["passed"] else "  <-- " + "; ".join(tally["failures"][:1])[:90]
            out.append(f"{name:<{wide}} {tally['run']:>7} {tally['passed']:>7}{mark}")
        rows = data["assumptions"]
        wide = max([len("assumption"), *map(len, rows)])
        default_wide = max([len("mock default"), *(len(str(r["default"])) for r in rows.values())])
        observed_wide = max([len("target shows"), *(len(str(r["observed"])) for r in rows.values())])
        out.append(f"{'assumption':<{wide}} {'mock default':<{default_wide}} {'target shows':<{observed_wide}}")
        for name, row in rows.items():
            if row.get("switch"):
                flag = f"  <-- switch: {row['switch']}"
            elif row["matches_default"] is False and row["observed"] is not None:
                flag = "  <-- none of the mock's alternatives"
            else:
                flag = ""
            out.append(f"{name:<{wide}} {row['default']!s:<{default_wide}} "
                       f"{row['observed']!s:<{observed_wide}}{flag}".rstrip())
        if data["fields_the_target_adds"]:
            out.append("fields the target adds (not in the record; never a failure):")
            for schema, fields in data["fields_the_target_adds"].items():
                out += [f"  {schema}.{name} = {value}" for name, value in fields.items()]
        if data["published_differences"]:
            out.append(f"published /docs/v3-json differs in {len(data['published_differences'])} place(s):")
            out += ["  " + d for d in data["published_differences"][:20]]
        elif data["published_differences"] is not None:
            out.append("published /docs/v3-json: matches the bundled contract")
        if data["differential"]:
            out.append("differential mode found differences:")
            out += ["  " + d for d in data["differential"][:20]]
        if self.rules or self.rule_status:
            wide = max(len(name) for name in data["rules"])
            out.append(f"{'rule':<{wide}} {'exercised':>9} {'examples':>8}  status")
            for name, row in data["rules"].items():
                out.append(f"{name:<{wide}} {row['exercised']:>9} {row['examples']:>8}  {row['status']}")
            strength = data["strength"]
            out.append(f"strength: {strength['rules_exercised']}/{strength['rules_claimed']} rules exercised, "
                       f"{strength['checks']} checks, {strength['examples']} examples, {strength['seconds']} s")
        if data["cleanup"]:
            out.append("cleanup: " + ", ".join(f"{k}={v}" for k, v in data["cleanup"].items()))
        return out


def example(name: str, value: Any) -> str:
    """An example value for the report: JSON, short, and never a secret in clear."""
    if isinstance(value, str) and SECRET_NAME.search(name):
        shown: Any = mask_secret(value, RUN_SECRET)
    else:
        shown = mask_value(value, RUN_SECRET, name)
    text = json.dumps(shown, sort_keys=True)
    return text if len(text) <= EXAMPLE_CHARS else text[:EXAMPLE_CHARS - 1] + "…"
