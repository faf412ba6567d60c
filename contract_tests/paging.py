"""Paging boundaries, each observed on its own (issue 23, class 9): a target that clamps take above 50
has said nothing about take 0, so each boundary keeps what its own first answer showed."""

from __future__ import annotations

from typing import Any

from .api import LIST_KEYS, OPS, PATHS, create
from .probes import expected
from .target import Example, Target

BOUNDARIES = {"take above 50": ("take", [51, 52, 100, 10_000]), "take below 1": ("take", [0, -1, -100]),
              "skip below 0": ("skip", [-1, -2, -1000])}


def boundary(target: Target, kind: str, name: str) -> str:
    """What one paging boundary shows: ``reject`` (a 4xx) or ``clamp`` (a 200 in range), observed on its
    own the first time. A target with the control plane says which is in force, for every boundary;
    otherwise take above 50 is the page_limit probe's, and each other boundary its own first answer."""
    if target.control or name == "take above 50":
        return expected(target, "page_limit")
    if name not in target.boundaries:
        field, values = BOUNDARIES[name]
        reply = target.get(PATHS[kind], params={field: values[0]})
        target.boundaries[name] = "clamp" if reply.status == 200 else "reject"
    return target.boundaries[name]


def check_paging(target: Target, kind: str, params: dict[str, Any], name: str) -> None:
    reply = target.get(PATHS[kind], params=params)
    if boundary(target, kind, name) == "clamp":
        body = reply.json() if reply.status == 200 else {}
        ok = reply.status == 200 and 1 <= body["take"] <= 50 and body["skip"] >= 0 and \
            len(body[LIST_KEYS[kind]]) <= body["take"]
    else:
        ok = 400 <= reply.status < 500
    target.rule("boundaries.paging", ok, f"{params} ({name}: {boundary(target, kind, name)}) answered "
                                         f"{reply.status} {reply.content[:120]!r}", OPS[kind][2])


def brains_in_list_order(target: Target, ex: Example, count: int, text: str) -> list[str]:
    """``count`` new brains tagged with the example's client, their ids in the order a list shows them."""
    made = []
    for _ in range(count):
        if target.control:
            target.clock("advance", seconds=1)  # distinct createdAt: one right order
        made.append(create(target, ex, "brains", {"instructions": text, "greetingMessage": text,
                                                  "client": ex.tag}).json()["id"])
    return made[::-1] if expected(target, "list_order") == "newest-first" else made
