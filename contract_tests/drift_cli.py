"""``equos-mock drift FILE_OR_URL``: a published /docs/v3-json against the record and the mock.

Exit status: 0 when nothing breaks (additive changes are still printed), 1 when a change breaks a
client written against the record or against the mock, 2 when a document cannot be read.
Needs neither pytest nor a running server: the mock's document is built in-process.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from mock_server.app import create_app
from mock_server.settings import Settings

from . import drift

# The record of the real API, rebuilt from the official SDK (see contract_tests/contract/).
RECORD_FILE = Path(__file__).parent / "contract" / "equos-v3.record.json"
URL_TIMEOUT_SECONDS = 30
MAX_DOCUMENT_BYTES = 64 * 1024 * 1024


class DocumentError(Exception):
    """A document that cannot be read or is no OpenAPI document."""


def load(source: str) -> dict[str, Any]:
    """A JSON OpenAPI document from a file path or an http(s) URL."""
    if source.startswith(("http://", "https://")):
        try:
            with urllib.request.urlopen(source, timeout=URL_TIMEOUT_SECONDS) as reply:
                raw = reply.read(MAX_DOCUMENT_BYTES + 1)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise DocumentError(f"cannot fetch {source}: {exc}") from None
    else:
        try:
            raw = Path(source).read_bytes()
        except OSError as exc:
            raise DocumentError(f"cannot read {source}: {exc.strerror or exc}") from None
    if len(raw) > MAX_DOCUMENT_BYTES:
        raise DocumentError(f"{source} is larger than {MAX_DOCUMENT_BYTES} bytes")
    try:
        document = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise DocumentError(f"{source} is not JSON: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("paths"), dict):
        raise DocumentError(f"{source} is not an OpenAPI document (no 'paths' object)")
    return document


def mock_document() -> dict[str, Any]:
    """What the mock serves at /docs/v3-json with its default settings."""
    document: dict[str, Any] = create_app(Settings()).state.openapi
    return document


def _record_title(path: Path, document: dict[str, Any]) -> str:
    provenance = (document.get("info") or {}).get("x-equos-record")
    facts = [f"{k} {v}" for k, v in provenance.items() if isinstance(v, str | int | float)][:3] if isinstance(
        provenance, dict) else []
    return f"against the record ({', '.join([path.name, *facts])})"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="equos-mock drift",
        description="Compare a published Equos /docs/v3-json (a saved file or a URL) with the bundled record "
                    "of the real API and with the mock's own document. Exit 1 on a breaking change.")
    parser.add_argument("source", metavar="FILE_OR_URL", help="the published OpenAPI document (JSON)")
    parser.add_argument("--against", choices=("both", "record", "mock"), default="both",
                        help="what to compare with (default both)")
    parser.add_argument("--json", action="store_true", help="print the changes as JSON")
    parser.add_argument("--all", action="store_true", dest="show_quiet",
                        help="also list error statuses, removed deprecated operations and the mock's declared "
                             "differences from the record")
    return parser


def main(argv: Sequence[str], out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    args = build_parser().parse_args(list(argv))
    try:
        published = load(args.source)
        record = load(str(RECORD_FILE))
    except DocumentError as exc:
        print(f"equos-mock drift: {exc}", file=err)
        return 2
    results: list[tuple[str, str, list[drift.Change]]] = []
    try:
        drift.operations(published)  # a malformed document fails here, before anything is printed
        if args.against in ("both", "record"):
            results.append(("record", _record_title(RECORD_FILE, record), drift.compare(record, published)))
        if args.against in ("both", "mock"):
            mock = mock_document()
            changes = drift.beyond(drift.compare(mock, published), known=drift.compare(mock, record))
            results.append(("mock", "against the mock (its /docs/v3-json, default settings)", changes))
    except (AttributeError, TypeError, RecursionError) as exc:
        # Parts of the wrong JSON type (a list where an object belongs, ...), or nesting without end.
        print(f"equos-mock drift: {args.source} is not a well-formed OpenAPI document "
              f"({type(exc).__name__}: {str(exc)[:200]})", file=err)
        return 2
    breaking = any(c.breaking for _, _, changes in results for c in changes)
    if args.json:
        json.dump({"published": args.source, "breaking": breaking,
                   "comparisons": [{"against": name, "title": title, "changes": drift.as_json(changes)}
                                   for name, title, changes in results]}, out, indent=2)
        out.write("\n")
    else:
        print(f"Drift of {args.source}", file=out)
        for _, title, changes in results:
            print(drift.render_text(title, changes, show_quiet=args.show_quiet), file=out)
        print("breaking changes found" if breaking else "no breaking change", file=out)
    return 1 if breaking else 0
