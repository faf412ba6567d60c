"""Shared pieces of the API models: timestamps, strings, paging."""

from __future__ import annotations

import math
from datetime import datetime
from enum import StrEnum
from typing import Annotated, TypeVar

from pydantic import MISSING, BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema, field_validator

from ..clock import iso

# A JavaScript-style instant on the wire: 2026-01-02T03:04:05.678Z.
Timestamp = Annotated[
    datetime,
    PlainSerializer(iso, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]

def js_number(value: float) -> float | int:
    """Numbers as JavaScript prints them: 3600, not 3600.0."""
    return int(value) if float(value).is_integer() else value


Number = Annotated[
    float,
    PlainSerializer(js_number, when_used="json"),
    WithJsonSchema({"type": "number"}),
]

# Limits the sources do not state; generous, and documented in docs/conversations-and-tokens.md.
Name = Annotated[str, Field(min_length=1, max_length=256)]
Text = Annotated[str, Field(min_length=1, max_length=100_000)]
OptionalText = Annotated[str, Field(max_length=100_000)]
ClientTag = Annotated[str, Field(max_length=256)]
Identity = Annotated[str, Field(min_length=1, max_length=256)]
RefId = Annotated[str, Field(min_length=1, max_length=256)]

PAGE_MAX = 50


def enum_copy(name: str, source: type[StrEnum]) -> type[StrEnum]:
    """The same values under another component name: the real document repeats each enum per property,
    so the SDK (and any client generated from it) has one type per use, e.g. EquosFaceIdentity and
    CreateEquosFaceRequestIdentity."""
    return StrEnum(name, {member.name: member.value for member in source})  # type: ignore[return-value]


class RequestModel(BaseModel):
    """Request bodies: strict types like class-validator; unknown keys ignored like a plain ValidationPipe."""

    model_config = ConfigDict(strict=True, extra="ignore")


M = TypeVar("M", bound=BaseModel)


class ResponseModel(BaseModel):
    """Replies. Extra keys are not forbidden: the real document (the SDK's record) allows them."""

    model_config = ConfigDict(extra="ignore")


def public_view(record: BaseModel, model: type[M]) -> M:
    """A stored record (the response model plus what only the mock keeps) as the API shows it."""
    return model.model_validate(record.model_dump(include=set(model.model_fields)))


class ListQuery(BaseModel):
    """``take``/``skip``/``client`` on every list; the Python SDK sends ``take=20.0``."""

    model_config = ConfigDict(extra="ignore")

    # Numbers, as the SDK's record says (it sends take=20.0); multipleOf 1 documents _integral below.
    take: float = Field(20, ge=1, le=PAGE_MAX, description="Page size, at most 50.",
                        json_schema_extra={"multipleOf": 1})
    skip: float = Field(0, ge=0, description="Items to skip.", json_schema_extra={"multipleOf": 1})
    # A query string has no null: absent (MISSING) or a string.
    client: ClientTag | MISSING = Field(MISSING, description="Only items with exactly this client tag.")

    @field_validator("take", "skip")
    @classmethod
    def _integral(cls, value: float) -> float:
        if not math.isfinite(value) or value != int(value):  # int(inf) would raise OverflowError: a 500
            raise ValueError("must be an integer number")
        return value


class HealthResponse(ResponseModel):
    status: str = Field(examples=["ok"])
    version: str = Field(examples=["1.0.0"])
