"""Bodies of the /_mock/ control plane that carry numbers: every number has a stated range.

The ranges keep every later computation finite (datetimes before year 9999, JSON without Infinity)
and are listed in docs/control-plane.md (Ranges of control-plane numbers).
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, field_validator

# Organization settings (seed files, POST /_mock/organizations, state imports).
DURATION_LIMIT_RANGE = (1, 2_592_000)  # seconds: up to 30 days per conversation or session
CHARGE_BY_SECOND_RANGE = (0, 1_000_000)  # billing units per second
CONCURRENT_LIMIT_RANGE = (0, 1_000_000)
REASON_MAX = 1000
# Clock moves (POST /_mock/clock/advance): a clock must also stay inside control.CLOCK_RANGE.
ADVANCE_SECONDS_RANGE = (0, 100 * 366 * 86400)  # up to a century per call
# Fault rules.
FAULT_STATUS_RANGE = (100, 599)
FAULT_DELAY_MS_RANGE = (0, 600_000)
FAULT_RETRY_AFTER_RANGE = (0, 86_400)
FAULT_TIMES_RANGE = (1, 1_000_000_000)
FAULT_HEADERS_MAX = 64
FAULT_HEADER_VALUE_MAX = 8192

_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")  # an HTTP header name (RFC 9110 token)


def _ranged(kind: Any, bounds: tuple[float, float], description: str, **extra: Any) -> Any:
    return Annotated[kind, Field(ge=bounds[0], le=bounds[1], description=description, **extra)]


FiniteNumber = Annotated[float, Field(allow_inf_nan=False, strict=True)]


class OrgSettingsBody(BaseModel):
    """An organization's ``settings``; absent keys keep their defaults."""

    model_config = ConfigDict(extra="forbid")

    durationLimit: _ranged(StrictInt, DURATION_LIMIT_RANGE,  # type: ignore[valid-type]
                           "Seconds; the default and the maximum maxSeconds.") = 3600
    charge: StrictBool = False
    chargeBySecond: _ranged(FiniteNumber, CHARGE_BY_SECOND_RANGE,  # type: ignore[valid-type]
                            "Billing units per second, copied onto each conversation.") = 1.0
    concurrentLimit: _ranged(StrictInt, CONCURRENT_LIMIT_RANGE,  # type: ignore[valid-type]
                             "Live sessions plus running conversations at once; null: no limit.") | None = None
    suspended: StrictBool = False
    reason: Annotated[StrictStr, Field(max_length=REASON_MAX)] | None = None


class ClockAdvanceBody(BaseModel):
    model_config = ConfigDict(extra="ignore")  # key / organization pick the clock; read elsewhere

    seconds: _ranged(FiniteNumber, ADVANCE_SECONDS_RANGE, "Seconds to move forward.")  # type: ignore[valid-type]


class FaultSpecBody(BaseModel):
    """POST /_mock/faults."""

    model_config = ConfigDict(extra="forbid")

    method: StrictStr | None = Field(None, max_length=16)
    path: StrictStr | None = Field(None, max_length=2048)
    pathRegex: StrictStr | None = Field(None, max_length=2048)
    key: StrictStr | None = None
    organization: StrictStr | None = None
    status: _ranged(StrictInt, FAULT_STATUS_RANGE, "HTTP status to answer.") | None = None  # type: ignore[valid-type]
    body: Any = None
    headers: dict[StrictStr, Annotated[StrictStr, Field(max_length=FAULT_HEADER_VALUE_MAX)]] | None = Field(
        None, max_length=FAULT_HEADERS_MAX)
    delayMs: _ranged(StrictInt, FAULT_DELAY_MS_RANGE, "Delay before answering.") | None = None  # type: ignore[valid-type]
    retryAfter: _ranged(StrictInt, FAULT_RETRY_AFTER_RANGE,  # type: ignore[valid-type]
                        "Seconds in Retry-After (answers 429 unless status says otherwise).") | None = None
    drop: StrictBool = False
    times: _ranged(StrictInt, FAULT_TIMES_RANGE, "Fire for this many matches.") | None = None  # type: ignore[valid-type]
    probability: Annotated[FiniteNumber, Field(gt=0, le=1)] = 1.0

    @field_validator("headers")
    @classmethod
    def _header_syntax(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        # A CR or LF would split the reply's headers; uvicorn refuses them with a 500.
        for name, text in (value or {}).items():
            if not _TOKEN.match(name):
                raise ValueError(f"name {name!r} is not a valid HTTP header name")
            if any(c in text for c in "\r\n\x00"):
                raise ValueError(f"value of {name} must not contain CR, LF or NUL")
        return value
