"""Reading recipe files, and the one place where validation errors get a ``file:line``.

``load_recipe`` is YAML text -> ``Recipe`` or ``BadInput``; nothing else can escape.
``load_model`` is the general form, shared with layouts: safe YAML
(``yaml_source``), then pydantic, then every pydantic error rewritten as a
``Violation`` with a dotted field path, a human description and the line the field
was written on. ``recipe_json_schema`` publishes the file's shape for editors.
"""

from __future__ import annotations

import difflib
import inspect
import types
from datetime import date
from pathlib import Path
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from pnp.orchestrator.domain.recipes import SEMANTIC_ERROR, Recipe
from pnp.orchestrator.domain.yaml_source import (
    DEFAULT_MAX_BYTES,
    YamlDocument,
    format_path,
    load_yaml_document,
    read_text_capped,
    shorten,
)
from pnp.orchestrator.errors import BadInput, Violation

MAX_RECIPE_BYTES = DEFAULT_MAX_BYTES
RECIPE_SCHEMA_ID = "urn:pnp:schema:v1:recipe"

M = TypeVar("M", bound=BaseModel)
Loc = tuple[str | int, ...]


def load_recipe(text: str, source: str) -> Recipe:
    """Parse and check one recipe; ``source`` names it in messages (a file name)."""
    return load_model(text, source, Recipe, what="recipe", max_bytes=MAX_RECIPE_BYTES)


# libyaml's parser when PyYAML was built with it (the wheels are), else the pure one.
_FAST_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def reload_recipe(text: str, source: str) -> Recipe:
    """A recipe the factory accepted before (read back from the store), parsed again.

    It passed ``load_recipe``'s checks when it was submitted, so it is read the quick
    way (libyaml, no line bookkeeping: ten times faster, which is what a takeover with
    thousands of stored orders waits for). Should that fail (rules tightened since),
    ``load_recipe`` reads it again and reports the problems with their lines.
    """
    try:
        data = yaml.load(text, Loader=_FAST_SAFE_LOADER)
        return Recipe.model_validate(data)
    except (yaml.YAMLError, ValidationError, ValueError, TypeError):
        return load_recipe(text, source)


def load_recipe_file(path: str | Path) -> Recipe:
    """Read and check a recipe file; messages name the path as given."""
    return load_recipe(read_text_capped(Path(path), MAX_RECIPE_BYTES), str(path))


def recipe_json_schema() -> dict[str, Any]:
    """JSON Schema of the recipe file (field names as written in YAML)."""
    schema = Recipe.model_json_schema(by_alias=True)
    schema.pop("title", None)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": RECIPE_SCHEMA_ID,
        "title": "pnp recipe (kind: Order, apiVersion: pnp/v1)",
        **schema,
    }


def load_model(
    text: str, source: str, model_type: type[M], *, what: str, max_bytes: int = DEFAULT_MAX_BYTES
) -> M:
    """YAML text -> a validated ``model_type``, or ``BadInput`` listing every problem."""
    document = load_yaml_document(text, source, max_bytes=max_bytes)
    try:
        return model_type.model_validate(document.data)
    except ValidationError as error:
        violations = violations_from_validation_error(error, document, model_type)
        count = f"{len(violations)} problem" + ("s" if len(violations) != 1 else "")
        raise BadInput(f"{source} is not a valid {what} ({count})", violations) from error


def violations_from_validation_error(
    error: ValidationError, document: YamlDocument, model_type: type[BaseModel]
) -> list[Violation]:
    """Each pydantic error as a located, readable ``Violation``, in file order."""
    located: list[tuple[int, Violation]] = []

    def add(loc: Loc, description: str) -> None:
        line = document.line_of(loc)
        located.append(
            (line, Violation(format_path(loc), description, f"{document.source}:{line}"))
        )

    for item in error.errors(include_url=False):
        loc = _without_key_marker(item)
        if item["type"] == SEMANTIC_ERROR:
            for path, message in item["ctx"]["problems"]:
                add((*loc, *path), message)
        else:
            add(loc, describe_error(item, loc, model_type))
    located.sort(key=lambda pair: pair[0])
    return [violation for _, violation in located]


_EXPECTED = {
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "string_type": "text",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "dict_type": "a mapping (key: value)",
    "model_type": "a mapping (key: value)",
    "model_attributes_type": "a mapping (key: value)",
    "datetime_type": "a date and time such as 2026-12-01T16:00:00Z",
    "datetime_parsing": "a date and time such as 2026-12-01T16:00:00Z",
    "datetime_from_date_parsing": "a date and time such as 2026-12-01T16:00:00Z",
    "datetime_object_invalid": "a date and time such as 2026-12-01T16:00:00Z",
}

_BOUNDS = {
    "greater_than_equal": ("ge", "at least"),
    "greater_than": ("gt", "greater than"),
    "less_than_equal": ("le", "at most"),
    "less_than": ("lt", "less than"),
}


def describe_error(item: Any, loc: Loc, model_type: type[BaseModel]) -> str:
    """A pydantic error (one entry of ``errors()``) as a sentence a customer can act on."""
    kind = item["type"]
    ctx = item.get("ctx") or {}
    label = _label(loc)
    got = describe_value(item.get("input"))
    if kind == "missing" and loc:
        return f"missing required field {shorten(loc[-1])}"
    if kind == "extra_forbidden" and loc:
        return _unknown_key(str(loc[-1]), _allowed_keys(model_type, loc[:-1]))
    if kind in _EXPECTED:
        return f"{label}: expected {_EXPECTED[kind]}, got {got}"
    if kind in _BOUNDS:
        bound, words = _BOUNDS[kind]
        return f"{label} must be {words} {ctx.get(bound)}, got {got}"
    if kind == "finite_number":
        return f"{label} must be a finite number, got {got}"
    if kind == "timezone_aware":
        return f"{label} needs a time zone, e.g. 2026-12-01T16:00:00Z or +01:00; got {got}"
    if kind == "literal_error":
        return f"{label} must be {ctx.get('expected')}, got {got}"
    if kind == "string_too_short":
        return f"{label} must not be empty"
    if kind == "string_too_long":
        return f"{label} is longer than {ctx.get('max_length')} characters"
    if kind == "too_short":
        count = ctx.get("min_length")
        return f"{label} must have at least {count} item" + ("" if count == 1 else "s")
    if kind == "too_long":
        return f"{label} has too many items (at most {ctx.get('max_length')})"
    if kind == "parameter_type":
        return f"{item['msg']}, got {got}"
    # Our other custom errors (name formats) are already whole sentences.
    return str(item.get("msg", "invalid value"))


def describe_value(value: object) -> str:
    """How a value read from YAML is shown in a message: ``'four'``, ``-3``, ``a list``."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return shorten(value)
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, date):  # datetime too
        return value.isoformat()
    return f"a {type(value).__name__}"


def _without_key_marker(item: Any) -> Loc:
    """The error's path into the document.

    pydantic reports a bad mapping key at ``(..., "Thick", "[key]")``; the marker goes,
    so the key's own line is used. Only a key check can add it: an unknown or missing
    field is never a key error, even when the user's key is literally ``[key]``.
    """
    loc = tuple(item["loc"])
    if loc and loc[-1] == "[key]" and item["type"] not in ("extra_forbidden", "missing"):
        return loc[:-1]
    return loc


def _label(loc: Loc) -> str:
    """The name a user would look for: ``quantity``, ``after[1]``, ``steps[2]``."""
    if not loc:
        return "the document"
    index = len(loc) - 1
    while index > 0 and isinstance(loc[index], int):
        index -= 1
    label = format_path(loc[index:])
    return label if len(label) <= 60 else label[:57] + "..."


def _unknown_key(key: str, allowed: list[str]) -> str:
    if not allowed:
        return f"unknown key {shorten(key)}"
    message = f"unknown key {shorten(key)} (allowed: {', '.join(allowed)})"
    close = difflib.get_close_matches(key, allowed, n=1)
    return f"{message}; did you mean {close[0]!r}?" if close else message


def _allowed_keys(model_type: type[BaseModel], loc: Loc) -> list[str]:
    """The keys the model at ``loc`` accepts, as written in YAML (by alias)."""
    current: Any = model_type
    for part in loc:
        current = _unwrap(current)
        if _is_model(current) and isinstance(part, str):
            fields = {info.alias or name: info for name, info in current.model_fields.items()}
            current = fields[part].annotation if part in fields else None
        elif get_origin(current) in (list, tuple) and isinstance(part, int):
            current = get_args(current)[0]
        elif get_origin(current) is dict:
            current = get_args(current)[1]
        else:
            return []
    current = _unwrap(current)
    if not _is_model(current):
        return []
    return [info.alias or name for name, info in current.model_fields.items()]


def _unwrap(annotation: Any) -> Any:
    """Strip ``Annotated[...]`` and ``X | None`` down to the type that holds keys."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            members = [arg for arg in get_args(annotation) if arg is not type(None)]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation


def _is_model(annotation: Any) -> bool:
    return inspect.isclass(annotation) and issubclass(annotation, BaseModel)
