"""The one JSON convention of every `pnp ... --json` (docs/json.md).

- Keys are the proto field names (``snake_case``); every field is present, zero or not.
- Numbers are JSON numbers, 64-bit ones too (protobuf's own JSON mapping writes
  ``uint64`` as a string: ``"version": "85"``; here it is ``85``).
- Enum values are lower-case words without the type's prefix: ``PLAN_STATUS_EMPTY`` is
  ``"empty"``, ``ORDER_STATE_NOT_ALLOWED_TO_START`` is ``"not allowed to start"``, the
  ISA-95 name ``AllowedToStart`` is ``"allowed to start"`` (``words``).
- Times are RFC 3339 strings in UTC (``2026-12-01T08:00:00Z``); durations are numbers of
  seconds in fields named ``*_seconds``.

``json_style`` turns a pnp.v1 message into that; ``words`` turns an enum's or ISA-95
state's name into its words, for documents built by hand (`pnp status --json`).
"""

from __future__ import annotations

import re

from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor
from google.protobuf.json_format import MessageToDict

_INT64 = frozenset(
    {
        FieldDescriptor.TYPE_INT64,
        FieldDescriptor.TYPE_UINT64,
        FieldDescriptor.TYPE_SINT64,
        FieldDescriptor.TYPE_FIXED64,
        FieldDescriptor.TYPE_SFIXED64,
    }
)
# Written by protobuf's JSON mapping in their own documented forms; left as they are.
_WELL_KNOWN = "google.protobuf."
_CAMEL_WORD = re.compile(r"[A-Z][a-z0-9]*")


def json_style(message) -> dict:
    plain = MessageToDict(
        message,
        preserving_proto_field_name=True,
        always_print_fields_with_no_presence=True,
        use_integers_for_enums=True,
    )
    _restyle(plain, message.DESCRIPTOR)
    return plain


def words(name: str, prefix: str = "") -> str:
    """``PLAN_STATUS_EMPTY`` (prefix ``PLAN_STATUS_``) -> ``empty``;
    ``AllowedToStart`` -> ``allowed to start``."""
    name = name.removeprefix(prefix)
    if "_" in name or name.isupper():
        return name.replace("_", " ").lower()
    return " ".join(part.lower() for part in _CAMEL_WORD.findall(name)) or name.lower()


def enum_words(enum: EnumDescriptor, number: int) -> str | int:
    value = enum.values_by_number.get(number)
    if value is None:
        return number  # a value newer than this client: the number, rather than a guess
    return words(value.name, _prefix(enum.name))


def _prefix(enum_name: str) -> str:
    """The value prefix buf's STANDARD lint asks for: ``PlanStatus`` -> ``PLAN_STATUS_``."""
    return "_".join(part.upper() for part in _CAMEL_WORD.findall(enum_name)) + "_"


def _restyle(plain: dict, descriptor: Descriptor) -> None:
    for field in descriptor.fields:
        if field.name not in plain:
            continue
        value = plain[field.name]
        message = field.message_type
        if message is not None and message.GetOptions().map_entry:
            value_field = message.fields_by_name["value"]
            plain[field.name] = {k: _value(v, value_field) for k, v in value.items()}
        elif field.label == FieldDescriptor.LABEL_REPEATED:
            plain[field.name] = [_value(v, field) for v in value]
        else:
            plain[field.name] = _value(value, field)


def _value(value, field: FieldDescriptor):
    if field.type == FieldDescriptor.TYPE_ENUM and isinstance(value, int):
        return enum_words(field.enum_type, value)
    if field.type in _INT64 and isinstance(value, str):
        return int(value)
    message = field.message_type
    if (
        message is not None
        and isinstance(value, dict)
        and not message.full_name.startswith(_WELL_KNOWN)
    ):
        _restyle(value, message)
    return value
