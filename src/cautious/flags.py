"""Stage configs from command-line flags: one validation for the CLI and `cautious run`.

Each stage takes a typed config (pydantic). A CLI verb names its flags after the config's
fields and hands them over here, so a rule such as "`-n` must be at least 1" is written once,
in the config, and a bad value is one line naming the flag the user typed.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from cautious.errors import UserError

Config = TypeVar("Config", bound=BaseModel)

#: Plain words for pydantic's most common complaints about a number.
_MESSAGES = {"greater_than_equal": "must be at least {ge}", "greater_than": "must be greater than {gt}",
             "less_than_equal": "must be at most {le}", "literal_error": "expected {expected}"}

#: Fields whose flag is not `--field-name`.
_SHORT = {"n": "-n"}


def flag_name(field: str) -> str:
    return _SHORT.get(field, "--" + field.replace("_", "-"))


def from_flags(model: type[Config], flags: dict[str, Any]) -> Config:
    """`model` from the flags named like its fields (None: the field's default)."""
    values = {k: v for k, v in flags.items() if k in model.model_fields and v is not None}
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else ""
        known = _MESSAGES.get(first["type"])
        message = known.format(**first["ctx"]) if known else first["msg"].removeprefix("Value error, ")
        if field == "n" and first["type"] == "greater_than_equal":
            message += " (empty selection)"
        if not field:
            raise UserError(message) from None
        given = first.get("input")
        shown = f" {given}" if isinstance(given, (str, int, float)) and not isinstance(given, bool) else ""
        raise UserError(f"{flag_name(field)}{shown}: {message}") from None
