"""The fidelity report's text: every row of each table lines up with its header, whatever the names."""

from __future__ import annotations

import re

from contract_tests.contract import document
from contract_tests.report import Fidelity
from mock_server.assumptions import REGISTRY


def _fidelity() -> Fidelity:
    fidelity = Fidelity(target={"url": "in-process mock", "live": False, "control_plane": True})
    operations = [op["operationId"] for item in document()["paths"].values() for op in item.values()
                  if isinstance(op, dict) and "operationId" in op]
    for name in operations + [f"assumption:{a.name}" for a in REGISTRY]:
        fidelity.check(name, True)
    fidelity.check("listBrains", False, "status 500 where the record says 200")
    fidelity.check("a-made-up-operation-with-a-name-longer-than-any-real-one", True)
    observed = {"null_result": "404", "auth_failure": "403", "id_style": "something-else-entirely-and-long",
                "list_order": None}
    for assumption in REGISTRY:
        fidelity.observe(assumption.name, observed.get(assumption.name, assumption.default), "seen")
    return fidelity


def _table(lines: list[str], header: str) -> list[str]:
    start = next(i for i, line in enumerate(lines) if line.startswith(header + " "))
    rows = [lines[start]]
    for line in lines[start + 1:]:
        if not re.match(r"[\w:-]+ ", line) or line.startswith(("assumption ", "fields ", "published ", "cleanup")):
            break
        rows.append(line)
    return rows


def test_every_operation_row_lines_up_with_its_header():
    lines = _fidelity().lines()
    rows = _table(lines, "operation")
    assert any(r.startswith("assumption:duplicate_livekit_identity ") for r in rows)  # the row once misaligned
    assert len(rows) > 40
    header = rows[0]
    ends = [header.index("checks") + len("checks"), header.index("passed") + len("passed")]
    for row in rows[1:]:
        counts = list(re.finditer(r"\d+", row[:ends[1]]))
        assert [m.end() for m in counts[-2:]] == ends, f"misaligned: {row!r}"
        assert row[len(row.split(" ", 1)[0])] == " "  # at least one space after the name


def test_every_assumption_row_lines_up_with_its_header():
    lines = _fidelity().lines()
    rows = _table(lines, "assumption")
    assert len(rows) == len(REGISTRY) + 1
    header = rows[0]
    starts = [header.index("mock default"), header.index("target shows")]
    for row, assumption in zip(rows[1:], REGISTRY, strict=True):
        assert row.startswith(assumption.name + " ")
        assert row[starts[0] - 1] == " " and row[starts[0]:].startswith(assumption.default), row
        assert row[starts[1] - 1] == " " and row[starts[1]] != " ", row
    shown = {row.split()[0]: row for row in rows[1:]}
    assert shown["auth_failure"].endswith("<-- switch: --set auth_failure=403")
    assert "something-else-entirely-and-long  <-- none of the mock's alternatives" in shown["id_style"]
