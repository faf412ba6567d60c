"""The one place that shapes errors: the NestJS envelope the real API answers with.

``{"statusCode": 400, "message": ["name must be a string"], "error": "Bad Request"}``;
401 carries no ``error`` key, as NestJS's UnauthorizedException without a message.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from http import HTTPStatus

from pydantic import ValidationError
from starlette.responses import Response

JSON_TYPE = "application/json; charset=utf-8"


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        message: str | Sequence[str],
        *,
        headers: dict[str, str] | None = None,
        with_error: bool = True,
    ):
        super().__init__(message if isinstance(message, str) else "; ".join(message))
        self.status = status
        self.message = message if isinstance(message, str) else list(message)
        self.headers = headers or {}
        self.with_error = with_error

    def body(self) -> dict[str, object]:
        if not self.with_error:
            return {"message": self.message, "statusCode": self.status}
        return {"statusCode": self.status, "message": self.message, "error": HTTPStatus(self.status).phrase}

    def response(self) -> Response:
        content = json.dumps(self.body(), separators=(",", ":"))
        return Response(content, self.status, headers=self.headers, media_type=JSON_TYPE)


def bad_request(messages: str | Sequence[str]) -> ApiError:
    return ApiError(400, messages)


def not_found(message: str) -> ApiError:
    return ApiError(404, message)


def conflict(message: str) -> ApiError:
    return ApiError(409, message)


def unauthorized(status: int = 401) -> ApiError:
    if status == 403:
        return ApiError(403, "Forbidden resource")
    return ApiError(401, "Unauthorized", with_error=False)


def route_not_found(method: str, path: str) -> ApiError:
    return ApiError(404, f"Cannot {method} {path}")


def method_not_allowed(method: str, path: str, allow: Iterable[str]) -> ApiError:
    allowed = ", ".join(sorted(set(allow)))
    return ApiError(405, f"Cannot {method} {path} (allowed: {allowed})", headers={"Allow": allowed})


def payload_too_large(limit: int) -> ApiError:
    return ApiError(413, f"request entity too large (limit {limit} bytes)")


def unsupported_media_type(got: str) -> ApiError:
    return ApiError(415, f"Content-Type must be application/json, got {got or 'none'}")


def _num(value: object) -> object:
    return int(value) if isinstance(value, float) and value.is_integer() else value


# class-validator wording for pydantic error types, so messages read like the real API's.
def _message(field: str, error: dict) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return f"{field} should not be empty"
    if kind in ("string_type", "string_unicode"):
        return f"{field} must be a string"
    if kind == "string_too_short":
        return f"{field} should not be empty"
    if kind == "string_too_long":
        return f"{field} must be shorter than or equal to {ctx.get('max_length')} characters"
    if kind in ("bool_type", "bool_parsing"):
        return f"{field} must be a boolean value"
    if kind in ("float_type", "float_parsing", "int_type", "int_parsing", "finite_number"):
        return f"{field} must be a number conforming to the specified constraints"
    if kind in ("int_from_float",):
        return f"{field} must be an integer number"
    if kind in ("less_than_equal", "less_than"):
        return f"{field} must not be greater than {_num(ctx.get('le', ctx.get('lt')))}"
    if kind in ("greater_than_equal", "greater_than"):
        return f"{field} must not be less than {_num(ctx.get('ge', ctx.get('gt')))}"
    if kind in ("enum", "literal_error"):
        expected = str(ctx.get("expected", "")).replace("'", "").replace(" or ", ", ")
        return f"{field} must be one of the following values: {expected}"
    if kind in ("model_type", "model_attributes_type", "dataclass_type"):
        return f"nested property {field} must be either object or array"
    if kind == "dict_type":
        return f"{field} must be an object"
    if kind == "extra_forbidden":
        return f"property {field} should not exist"
    if kind == "value_error":
        return f"{field} {error.get('msg', 'is invalid').removeprefix('Value error, ')}"
    return f"{field} is invalid ({error.get('msg', kind)})"


def validation_messages(exc: ValidationError) -> list[str]:
    messages: list[str] = []
    for error in exc.errors(include_url=False):
        loc = [str(part) for part in error["loc"] if not str(part).startswith("function-")]
        field = ".".join(loc) if loc else "body"
        message = _message(field, error)
        if message not in messages:
            messages.append(message)
    return messages


def from_validation(exc: ValidationError) -> ApiError:
    return bad_request(validation_messages(exc))
