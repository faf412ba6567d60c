"""A typed Python client for the /_mock/ control plane (standard library only)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from .kept_connection import KeptConnection


class ControlError(RuntimeError):
    def __init__(self, status: int, body: Any):
        super().__init__(f"control plane answered {status}: {body}")
        self.status = status
        self.body = body


class MockControl:
    def __init__(self, base_url: str, *, token: str | None = None, timeout: float = 10.0,
                 keep_alive: bool = False):
        """``keep_alive``: the creating thread's calls share one connection (``close()`` it when done)."""
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self._kept = KeptConnection(self.base_url) if keep_alive else None

    def close(self) -> None:
        """Close the kept connection, if any (a later call opens a new one)."""
        if self._kept is not None:
            self._kept.close()

    # --- transport -----------------------------------------------------------
    def request(self, method: str, path: str, body: dict[str, Any] | None = None,
                query: dict[str, Any] | None = None, api_key: str | None = None, *,
                timeout: float | None = None) -> Any:
        return self.exchange(method, path, body, query, api_key, timeout=timeout)[0]

    def exchange(self, method: str, path: str, body: dict[str, Any] | None = None,
                 query: dict[str, Any] | None = None, api_key: str | None = None, *,
                 timeout: float | None = None) -> tuple[Any, dict[str, str]]:
        """The decoded reply and its headers (lower-case names)."""
        url = f"{self.base_url}/_mock/{path.lstrip('/')}"
        if query:
            url += "?" + urlencode({k: v for k, v in query.items() if v is not None})
        data = json.dumps(body).encode() if body is not None else None
        headers = {"content-type": "application/json"}
        if self.token:
            headers["x-mock-token"] = self.token
        if api_key:
            headers["x-api-key"] = api_key
        if self._kept is not None and self._kept.owned():
            status, raw, got = self._kept.exchange(method, url[len(self.base_url):], data, headers,
                                                   timeout or self.timeout)
            if status >= 400:
                raise ControlError(status, _decode(raw))
            return _decode(raw), got
        req = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=timeout or self.timeout) as response:
                raw = response.read()
                got = {k.lower(): v for k, v in response.headers.items()}
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            raise ControlError(exc.code, _decode(raw)) from None
        return _decode(raw), got

    # --- clock -----------------------------------------------------------------
    # With ``key``, the call acts on that organization's own clock (parallel tests stay independent).
    def clock(self, *, key: str | None = None) -> dict[str, Any]:
        return self.request("GET", "clock", query={"key": key})

    def now(self, *, key: str | None = None) -> datetime:
        return datetime.fromisoformat(self.clock(key=key)["now"].replace("Z", "+00:00"))

    def freeze(self, at: datetime | str | None = None, *, key: str | None = None) -> dict[str, Any]:
        return self.request("POST", "clock/freeze", _scoped({} if at is None else {"at": _iso(at)}, key))

    def unfreeze(self, *, key: str | None = None) -> dict[str, Any]:
        return self.request("POST", "clock/unfreeze", _scoped({}, key))

    def advance(self, seconds: float, *, key: str | None = None) -> dict[str, Any]:
        return self.request("POST", "clock/advance", _scoped({"seconds": seconds}, key))

    def set_time(self, at: datetime | str, *, key: str | None = None) -> dict[str, Any]:
        return self.request("POST", "clock/set", _scoped({"at": _iso(at)}, key))

    # --- state -------------------------------------------------------------------
    def reset(self, *, key: str | None = None, organization: str | None = None) -> dict[str, Any]:
        body = {k: v for k, v in (("key", key), ("organization", organization)) if v}
        return self.request("POST", "reset", body)

    def create_organization(self, keys: list[str], **spec: Any) -> dict[str, Any]:
        return self.request("POST", "organizations", {"keys": keys, **spec})

    def organizations(self, *, page_size: int | None = None) -> list[dict[str, Any]]:
        """Every organization, read page by page (``organizations_page``)."""
        return list(self.iter_organizations(page_size=page_size))

    def iter_organizations(self, *, page_size: int | None = None) -> Iterator[dict[str, Any]]:
        after: str | None = None
        while True:
            page, after = self.organizations_page(limit=page_size, after=after)
            yield from page
            if after is None:
                return

    def organizations_page(self, *, limit: int | None = None, after: str | None = None
                           ) -> tuple[list[dict[str, Any]], str | None]:
        """One page (100 by default) and the cursor of the next one (None: this was the last)."""
        page, headers = self.exchange("GET", "organizations", query={"limit": limit, "after": after})
        return page, headers.get("x-mock-next")

    def delete_organization(self, *, key: str | None = None, organization: str | None = None
                            ) -> dict[str, Any]:
        """Delete one organization, by API key or by id (404 ControlError when there is none)."""
        if organization:
            return self.request("DELETE", f"organizations/{organization}")
        if not key:
            raise TypeError("delete_organization needs key= or organization=")
        return self.request("DELETE", "organizations", query={"key": key})

    def load_seed(self, name: str, *, key: str | None = None) -> dict[str, Any]:
        return self.request("POST", "seed", {"name": name, **({"key": key} if key else {})})

    def load_seed_content(self, content: dict[str, Any], *, key: str | None = None) -> dict[str, Any]:
        """A seed read here (a project's own file), loaded there: the server reads no path it is sent."""
        return self.request("POST", "seed", {"content": content, **({"key": key} if key else {})})

    # --- assumptions ---------------------------------------------------------------
    def assumptions(self) -> dict[str, str]:
        return {a["name"]: a["value"] for a in self.request("GET", "assumptions")}

    def set_assumptions(self, **values: str) -> dict[str, str]:
        described = self.request("PUT", "assumptions", values)
        return {a["name"]: a["value"] for a in described}

    # --- conversations -------------------------------------------------------------
    def event(self, conversation_id: str, key: str, type: str, **fields: Any) -> dict[str, Any]:
        return self.request("POST", f"conversations/{conversation_id}/events", {"type": type, **fields},
                            api_key=key)

    def mark_joined(self, conversation_id: str, key: str, author: str = "consumer") -> dict[str, Any]:
        return self.event(conversation_id, key, "joined", author=author)

    def say(self, conversation_id: str, key: str, content: str, author: str = "user") -> dict[str, Any]:
        return self.event(conversation_id, key, "utterance", content=content, author=author)

    def running_conversations(self, key: str | None = None) -> list[dict[str, Any]]:
        return self.request("GET", "conversations/running", query={"key": key})

    def organization_of(self, key: str) -> dict[str, Any] | None:
        """The organization a key selects, or None if the key was never used."""
        found = self.request("GET", "organizations", query={"key": key})
        return found[0] if found else None

    # --- state -----------------------------------------------------------------------
    def export_state(self, *, key: str | None = None, organization: str | None = None) -> dict[str, Any]:
        return self.request("GET", "state", query={"key": key, "organization": organization})

    def import_state(self, exported: dict[str, Any]) -> list[str]:
        return self.request("POST", "state", exported)["organizations"]

    # --- journal ---------------------------------------------------------------------
    # Filters: method, path (exact or a glob such as /v3/conversations/*/stop), key, organization,
    # status (201, 4xx, or "dropped"), since (a datetime or ISO string), after (an entry id).
    def journal(self, *, limit: int | None = None, **filters: Any) -> list[dict[str, Any]]:
        """The last ``limit`` matching entries; without one, all of them, read page by page."""
        if limit is not None:
            return self.request("GET", "journal", query={**_filters(filters), "limit": limit})["entries"]
        entries: list[dict[str, Any]] = []
        query = _filters(filters)
        while True:
            page = self.request("GET", "journal", query=query)
            entries.extend(page["entries"])
            if page.get("next") is None:
                return entries
            query = {**query, "after": page["next"]}

    def journal_page(self, **filters: Any) -> dict[str, Any]:
        """One page of the journal with its bookkeeping: capacity, size, evicted, entries, next
        (pass it as ``after`` for the next page; None at the end). ``page_size`` up to 1000."""
        page_size = filters.pop("page_size", None)
        return self.request("GET", "journal", query={**_filters(filters), "pageSize": page_size})

    def count(self, method: str | None = None, path: str | None = None, **filters: Any) -> int:
        query = _filters({"method": method, "path": path, **filters})
        return self.request("GET", "journal/count", query=query)["count"]

    def verify(self, expected: int, method: str | None = None, path: str | None = None, **filters: Any) -> None:
        """WireMock's verify: raise AssertionError unless exactly ``expected`` requests matched."""
        got = self.count(method, path, **filters)
        if got != expected:
            seen = [f"{e['method']} {e['path']} -> {e['status']}" for e in self.journal(limit=20, **{
                k: v for k, v in filters.items() if k in ("key", "organization")})]
            raise AssertionError(f"expected {expected} request(s) matching {method or '*'} {path or '*'} "
                                 f"{_filters(filters)}, got {got}; last requests: {seen}")

    def clear_journal(self, **filters: Any) -> int:
        return self.request("DELETE", "journal", query=_filters(filters))["removed"]

    # --- faults ----------------------------------------------------------------------
    def add_fault(self, *, method: str | None = None, path: str | None = None, path_regex: str | None = None,
                  key: str | None = None, organization: str | None = None, status: int | None = None,
                  body: Any = None, headers: dict[str, str] | None = None, delay_ms: int | None = None,
                  retry_after: int | None = None, drop: bool | None = None, times: int | None = None,
                  probability: float | None = None) -> dict[str, Any]:
        spec = {"method": method, "path": path, "pathRegex": path_regex, "key": key, "organization": organization,
                "status": status, "body": body, "headers": headers, "delayMs": delay_ms,
                "retryAfter": retry_after, "drop": drop, "times": times, "probability": probability}
        return self.request("POST", "faults", {k: v for k, v in spec.items() if v is not None})

    def faults(self, *, key: str | None = None, organization: str | None = None) -> list[dict[str, Any]]:
        return self.request("GET", "faults", query={"key": key, "organization": organization})

    def remove_fault(self, fault_id: str) -> dict[str, Any]:
        return self.request("DELETE", f"faults/{fault_id}")

    def clear_faults(self, *, key: str | None = None, organization: str | None = None) -> int:
        return self.request("DELETE", "faults", query={"key": key, "organization": organization})["removed"]

    # --- legacy session passes -------------------------------------------------------
    def public_key(self, api_key: str) -> str:
        """The public (session-pass) key of ``api_key``'s organization, created first if keys are open."""
        org = self.organization_of(api_key)
        if org is None:  # reads create nothing: make it
            try:
                org = self.create_organization([api_key])
            except ControlError as exc:
                if exc.status != 409:
                    raise
                org = self.organization_of(api_key)  # another client made it meanwhile
        if org is None:
            raise ControlError(404, {"message": "no organization has this API key"})
        return str(org["publicKeys"][0])


def _filters(filters: dict[str, Any]) -> dict[str, Any]:
    known = {"method", "path", "key", "organization", "status", "since", "after"}
    unknown = set(filters) - known
    if unknown:
        raise TypeError(f"unknown journal filters {sorted(unknown)}; known: {sorted(known)}")
    return {k: _iso(v) if isinstance(v, datetime) else v for k, v in filters.items() if v is not None}


def _scoped(body: dict[str, Any], key: str | None) -> dict[str, Any]:
    return {**body, "key": key} if key else body


def _iso(at: datetime | str) -> str:
    return at if isinstance(at, str) else at.isoformat()


def _decode(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")
