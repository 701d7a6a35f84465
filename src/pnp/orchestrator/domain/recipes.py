"""The recipe file (design 4.3): what a customer orders, as typed, checked values.

A ``Recipe`` names a product, a quantity, a due time and the steps it needs, each as
a capability plus parameters, never as a machine; ``after`` links make the steps a
DAG. Field rules live on the models; rules across fields (unique step ids, known
``after`` targets, no cycles) run after them and report every problem at once with
its path, which ``recipe_loader`` turns into ``file:line`` messages.

The small building blocks at the top (``InputModel``, ``NameFormat``,
``semantic_error``) are shared with the other files pnp reads, such as layouts.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Literal

import networkx as nx
from annotated_types import GroupedMetadata
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    StrictInt,
    StrictStr,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError, PydanticKnownError

API_VERSION = "pnp/v1"
# One order may not flood the planner (a lot per unit of a big order would): lots x
# steps is capped. Due dates are kept to years every system we talk to can represent.
MAX_OPERATIONS_PER_ORDER = 2_000
EARLIEST_DUE = datetime(2000, 1, 1, tzinfo=UTC)
LATEST_DUE = datetime(2199, 12, 31, 23, 59, 59, tzinfo=UTC)
SEMANTIC_ERROR = "pnp_semantic"
MAX_TEXT = 200

Problem = tuple[tuple[str | int, ...], str]
"""A rule broken across fields: the path (relative to the model) and what is wrong."""


class InputModel(BaseModel):
    """Base of every model read from a file: unknown keys are errors, values frozen."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, str_max_length=MAX_TEXT
    )


def semantic_error(problems: Sequence[Problem]) -> PydanticCustomError:
    """One validation error carrying several located problems.

    A pydantic validator can raise only one error; the loader unpacks ``problems``
    so each gets its own line.
    """
    summary = "; ".join(message for _, message in problems)
    return PydanticCustomError(SEMANTIC_ERROR, summary, {"problems": list(problems)})


@dataclass(frozen=True)
class NameFormat(GroupedMetadata):
    """A string format whose error says the rule in words.

    Used as ``Annotated[StrictStr, NameFormat(...)]``: pydantic unpacks it (it is
    annotated-types' grouped metadata) into a validator and a JSON Schema; to a type
    checker the annotated type stays ``str``.
    """

    what: str
    pattern: str
    rule: str
    max_length: int = 63

    def __iter__(self) -> Iterator[object]:
        regex = re.compile(self.pattern)

        def check(value: str) -> str:
            if len(value) > self.max_length or not regex.fullmatch(value):
                raise PydanticCustomError(
                    "name_format", f"{value!r} is not a valid {self.what}: {self.rule}"
                )
            return value

        yield AfterValidator(check)
        yield WithJsonSchema(
            {"type": "string", "pattern": self.pattern, "maxLength": self.max_length}
        )


ObjectName = Annotated[
    StrictStr,
    NameFormat(
        "name",
        r"^[a-z0-9][a-z0-9._-]{0,62}$",
        "use lowercase letters, digits, '.', '-' and '_', starting with a letter or digit",
    ),
]
StepId = Annotated[
    StrictStr,
    NameFormat(
        "step id",
        r"^[a-z0-9][a-z0-9_-]{0,62}$",
        "use lowercase letters, digits, '-' and '_', starting with a letter or digit",
    ),
]
CapabilityName = Annotated[
    StrictStr,
    NameFormat(
        "capability name",
        r"^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$",
        "use dotted lowercase words such as 'cutting.laser'",
        max_length=100,
    ),
]
ParameterName = Annotated[
    StrictStr,
    NameFormat(
        "parameter name",
        r"^[a-z][a-z0-9_]*$",
        "use lowercase letters, digits and '_', starting with a letter",
    ),
]
LabelKey = Annotated[
    StrictStr,
    NameFormat(
        "label key",
        r"^[a-z][a-z0-9._-]*$",
        "use lowercase letters, digits, '.', '-' and '_', starting with a letter",
    ),
]

_INT_LIMIT = 2**63


def _parameter_value(value: object) -> str | int | float | bool:
    # bool is an int in Python, so it passes the int branch unchanged; that is wanted.
    if isinstance(value, int):
        if abs(value) >= _INT_LIMIT:
            raise PydanticCustomError(
                "number_range",
                f"parameter numbers must lie between -2**63 and 2**63, got {value:.3e}",
            )
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise PydanticKnownError("finite_number")
        return value
    if isinstance(value, str):
        if len(value) > MAX_TEXT:
            raise PydanticKnownError("string_too_long", {"max_length": MAX_TEXT})
        return value
    raise PydanticCustomError(
        "parameter_type", "parameter values must be text, a number or true/false"
    )


ParameterValue = Annotated[
    str | int | float | bool,
    PlainValidator(_parameter_value),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "maxLength": MAX_TEXT},
                {"type": "number"},
                {"type": "boolean"},
            ]
        }
    ),
]


class RecipeMetadata(InputModel):
    name: ObjectName = Field(description="Name of this order, e.g. frame-anna-2026-11.")
    labels: dict[LabelKey, StrictStr] = Field(
        default_factory=dict, max_length=20, description="Free labels, e.g. customer: anna."
    )


class RecipeStep(InputModel):
    id: StepId = Field(description="Unique within the recipe; used by 'after'.")
    capability: CapabilityName = Field(description="What the step needs, e.g. cutting.laser.")
    parameters: dict[ParameterName, ParameterValue] = Field(
        default_factory=dict, max_length=50, description="Required parameter values."
    )
    after: list[StepId] = Field(
        default_factory=list, max_length=200, description="Steps that must be done first."
    )


class OrderSpec(InputModel):
    product: ObjectName
    quantity: StrictInt = Field(ge=1, le=10_000, description="Units to make.")
    due: AwareDatetime | None = Field(None, description="Due time with a time zone.")
    priority: StrictInt = Field(
        1, ge=1, le=10, description="1..10, higher is more urgent; the tardiness weight."
    )
    lot_size: StrictInt | None = Field(
        None, alias="lotSize", ge=1, le=10_000, description="Units per lot; lots flow separately."
    )
    steps: list[RecipeStep] = Field(min_length=1, max_length=200)

    @model_validator(mode="after")
    def _check_steps(self) -> OrderSpec:
        problems = step_problems(self.steps)
        if problems:
            raise semantic_error([(("steps", *path), message) for path, message in problems])
        operations = math.ceil(self.quantity / (self.lot_size or self.quantity)) * len(self.steps)
        if operations > MAX_OPERATIONS_PER_ORDER:
            where = ("lotSize",) if self.lot_size else ("quantity",)
            raise semantic_error(
                [
                    (
                        where,
                        f"{operations} operations (lots x steps); at most "
                        f"{MAX_OPERATIONS_PER_ORDER} per order: use larger lots or split the order",
                    )
                ]
            )
        if self.due is not None and not EARLIEST_DUE <= self.due <= LATEST_DUE:
            raise semantic_error(
                [(("due",), f"due must be between {EARLIEST_DUE:%Y} and {LATEST_DUE:%Y}")]
            )
        return self


class Recipe(InputModel):
    """A customer's order for a product, as read from a recipe file."""

    api_version: Literal["pnp/v1"] = Field(alias="apiVersion")
    kind: Literal["Order"]
    metadata: RecipeMetadata
    spec: OrderSpec

    def lot_sizes(self) -> list[int]:
        """Units in each lot, in order: quantity 5, lotSize 2 -> [2, 2, 1]."""
        quantity = self.spec.quantity
        size = self.spec.lot_size or quantity
        full, rest = divmod(quantity, size)
        return [size] * full + ([rest] if rest else [])

    def step(self, step_id: str) -> RecipeStep:
        for step in self.spec.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    def steps_in_order(self) -> list[RecipeStep]:
        """The steps in an order that respects ``after`` (file order among equals)."""
        graph = _precedence_graph(self.spec.steps)
        position = {step.id: index for index, step in enumerate(self.spec.steps)}
        order = nx.lexicographical_topological_sort(graph, key=position.__getitem__)
        return [self.spec.steps[position[step_id]] for step_id in order]


def step_problems(steps: Sequence[RecipeStep]) -> list[Problem]:
    """Every rule broken across steps: duplicate ids, bad ``after`` links, cycles."""
    problems: list[Problem] = []
    first_index: dict[str, int] = {}
    for index, step in enumerate(steps):
        if step.id in first_index:
            problems.append(
                (
                    (index, "id"),
                    f"duplicate step id {step.id!r} (also steps[{first_index[step.id]}])",
                )
            )
        else:
            first_index[step.id] = index
    for index, step in enumerate(steps):
        seen: set[str] = set()
        for position, earlier in enumerate(step.after):
            path = (index, "after", position)
            if earlier in seen:
                problems.append((path, f"step {step.id!r} lists {earlier!r} twice in 'after'"))
            elif earlier == step.id:
                problems.append((path, f"step {step.id!r} cannot come after itself"))
            elif earlier not in first_index:
                problems.append((path, _unknown_step(step.id, earlier, list(first_index))))
            seen.add(earlier)
    if not problems:
        problems.extend(_cycle_problems(steps))
    return problems


def _unknown_step(step_id: str, earlier: str, known: list[str]) -> str:
    message = f"step {step_id!r} comes after {earlier!r}, but no step has that id"
    close = difflib.get_close_matches(earlier, known, n=1)
    if close:
        return f"{message}; did you mean {close[0]!r}?"
    shown = ", ".join(known[:10]) + (", ..." if len(known) > 10 else "")
    return f"{message} (steps: {shown})"


def _precedence_graph(steps: Sequence[RecipeStep]) -> nx.DiGraph[str]:
    graph: nx.DiGraph[str] = nx.DiGraph()
    graph.add_nodes_from(step.id for step in steps)
    graph.add_edges_from((earlier, step.id) for step in steps for earlier in step.after)
    return graph


def _cycle_problems(steps: Sequence[RecipeStep]) -> list[Problem]:
    graph = _precedence_graph(steps)
    position = {step.id: index for index, step in enumerate(steps)}
    problems: list[Problem] = []
    for component in nx.strongly_connected_components(graph):
        if len(component) < 2:
            continue
        # Name one concrete cycle, starting from the step written first in the file.
        start = min(component, key=position.__getitem__)
        inside = graph.subgraph(component)
        back = min(
            (nx.shortest_path(inside, successor, start) for successor in inside.successors(start)),
            key=len,
        )
        cycle = [start, *back]
        closing = steps[position[start]].after.index(cycle[-2])
        problems.append(
            ((position[start], "after", closing), "steps form a cycle: " + " -> ".join(cycle))
        )
    return sorted(problems)
