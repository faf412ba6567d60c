"""masking.LogMasking: a log record shows no secret-named parameter's value, in its message or traceback."""

from __future__ import annotations

import io
import logging

from mock_server.masking import LogMasking, mask_logs


def test_a_scope_and_a_traceback_are_masked_and_the_filter_is_added_once() -> None:
    name = "equos-mock-test.masking"
    logger = logging.getLogger(name)
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        mask_logs((name,))
        mask_logs((name,))
        assert sum(isinstance(f, LogMasking) for f in logger.filters) == 1
        scope = {"path": "/_uploads/o/d", "query_string": b"expires=1&signature=deadbeef42&apiKey=sk_log_1"}
        logger.debug("ASGI [%d] Started scope=%s", 1, scope)
        try:
            raise ValueError("GET /_mock/state?key=sk_log_2 failed")
        except ValueError:
            logger.exception("Exception in ASGI application")
    finally:
        logger.removeHandler(handler)
        logger.filters.clear()
    text = out.getvalue()
    assert "Started scope=" in text and "ValueError" in text and "expires=1" in text
    for secret in ("deadbeef42", "sk_log_1", "sk_log_2"):
        assert secret not in text, text
    assert text.count("****") >= 3  # the traceback quotes the raising line too
