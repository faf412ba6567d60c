"""Small helpers shared by the checks: resources by kind, timestamps, null replies."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .declared import LIST_KEYS, OPS, PATHS
from .target import Example, Reply, Target

__all__ = ["LIST_KEYS", "OPS", "PATHS"]  # kind -> path, list key, (create, get, list, delete)

def ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def ms(value: str) -> int:
    return int(ts(value).timestamp() * 1000 + 0.5)


def create(target: Target, ex: Example, kind: str, body: dict[str, Any], **kw: Any) -> Reply:
    reply = target.post(PATHS[kind], body, **kw)
    if reply.status == 201:
        target.created(ex, kind, reply.json()["id"])
    return reply


def expect_null(target: Target, operation: str, reply: Reply, what: str) -> None:
    """The API's 'returns null' (an empty body, JSON null) or a 404, never an object and never 5xx."""
    ok = reply.status == 404 or (200 <= reply.status < 300 and reply.is_null)
    target.expect(operation, ok, f"{what}: expected a null reply or 404, got {reply.status} {reply.content[:120]!r}")


def null_style(reply: Reply) -> str:
    """Which ``null_result`` alternative a reply shows."""
    if reply.status == 404:
        return "404"
    if reply.content.strip() == b"null":
        return "json-null"
    if reply.empty and 200 <= reply.status < 300:
        return "empty"
    return f"other ({reply.status})"


def check_timestamps(target: Target, operation: str, before: dict[str, Any], after: dict[str, Any]) -> None:
    target.expect(operation, after["createdAt"] == before["createdAt"],
                  f"createdAt moved: {before['createdAt']} -> {after['createdAt']}")
    target.expect(operation, ts(after["updatedAt"]) >= ts(before["updatedAt"]),
                  f"updatedAt went back: {before['updatedAt']} -> {after['updatedAt']}")


def page_through(target: Target, kind: str, take: int, client: str | None) -> tuple[list[dict[str, Any]], list[int]]:
    """Every page of a list with page size ``take``: the items in order, and each page's total."""
    items: list[dict[str, Any]] = []
    totals: list[int] = []
    skip = 0
    operation = OPS[kind][2]
    while True:
        params: dict[str, Any] = {"take": take, "skip": skip}
        if client is not None:
            params["client"] = client
        reply = target.get(PATHS[kind], params=params)
        target.expect(operation, reply.status == 200, f"list answered {reply.status}")
        body = reply.json()
        target.expect(operation, body["skip"] == skip and body["take"] == take,
                      f"echoed skip/take {body['skip']}/{body['take']}, sent {skip}/{take}")
        page = body[LIST_KEYS[kind]]
        target.expect(operation, len(page) <= take, f"page of {len(page)} items for take={take}")
        totals.append(body["total"])
        items += page
        skip += take
        if skip >= body["total"] or len(totals) > 1000:
            return items, totals


def billed_seconds(conversations: list[dict[str, Any]], now_ms: int | None = None) -> float | None:
    """What conversations cost: startedAt to endedAt, or to ``now_ms`` while running (None: one is
    running and the time is not known)."""
    total = 0
    for conversation in conversations:
        if conversation.get("endedAt"):
            end = ms(conversation["endedAt"])
        elif now_ms is None:
            return None
        else:
            end = now_ms
        total += max(end - ms(conversation["startedAt"]), 0)
    return total / 1000


def find_listed(target: Target, kind: str, item_id: str, client: str | None, *, api_key: Any = None
                ) -> tuple[dict[str, Any] | None, int]:
    """The item as a list shows it (paging through, 50 at a time), and the list's total."""
    skip, key = 0, LIST_KEYS[kind]
    extra = {} if api_key is None else {"api_key": api_key}
    while True:
        params: dict[str, Any] = {"take": 50, "skip": skip}
        if client is not None:
            params["client"] = client
        reply = target.get(PATHS[kind], params=params, **extra)
        target.expect(OPS[kind][2], reply.status == 200, f"list answered {reply.status}")
        body = reply.json()
        for item in body[key]:
            if item["id"] == item_id:
                return item, body["total"]
        skip += 50
        if skip >= body["total"] or not body[key] or skip > 5000:
            return None, body["total"]
