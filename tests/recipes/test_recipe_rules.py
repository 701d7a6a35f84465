"""Recipe rules: what a recipe may say, and how each mistake is reported."""

from __future__ import annotations

import textwrap

import pytest

from pnp.orchestrator.domain.recipe_loader import load_recipe, recipe_json_schema
from pnp.orchestrator.domain.recipes import Recipe
from pnp.orchestrator.errors import BadInput


def recipe_text(steps: str = "", **spec: str) -> str:
    fields = {"product": "frame", "quantity": "4", **spec}
    lines = "".join(f"  {key}: {value}\n" for key, value in fields.items())
    steps = steps or "- {id: cut, capability: cutting.laser}"
    indented = textwrap.indent(textwrap.dedent(steps).strip("\n"), "    ")
    return (
        "apiVersion: pnp/v1\nkind: Order\nmetadata: {name: order-1}\nspec:\n"
        f"{lines}  steps:\n{indented}\n"
    )


def problems(text: str) -> list[str]:
    with pytest.raises(BadInput) as caught:
        load_recipe(text, "r.yaml")
    return [str(violation) for violation in caught.value.violations]


def test_a_minimal_recipe_gets_defaults():
    recipe = load_recipe(recipe_text(), "r.yaml")
    assert recipe.spec.priority == 1
    assert recipe.spec.due is None
    assert recipe.spec.lot_size is None
    assert recipe.spec.steps[0].parameters == {}
    assert recipe.spec.steps[0].after == []


@pytest.mark.parametrize(
    ("quantity", "lot_size", "lots"),
    [(5, "2", [2, 2, 1]), (4, "2", [2, 2]), (3, "10", [3]), (7, "null", [7]), (1, "1", [1])],
)
def test_lot_sizes_split_the_quantity(quantity: int, lot_size: str, lots: list[int]):
    recipe = load_recipe(recipe_text(quantity=str(quantity), lotSize=lot_size), "r.yaml")
    assert recipe.lot_sizes() == lots


def test_parameter_values_keep_their_types():
    steps = "- {id: cut, capability: cutting.laser, parameters: {a: x, b: 3, c: 2.5, d: true}}"
    recipe = load_recipe(recipe_text(steps), "r.yaml")
    assert recipe.spec.steps[0].parameters == {"a": "x", "b": 3, "c": 2.5, "d": True}
    assert isinstance(recipe.spec.steps[0].parameters["d"], bool)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("true", "quantity: expected an integer, got true"),
        ("2.0", "quantity: expected an integer, got 2.0"),
        ('"4"', "quantity: expected an integer, got '4'"),
        ("0", "quantity must be at least 1, got 0"),
        ("10001", "quantity must be at most 10000, got 10001"),
        ("[4]", "quantity: expected an integer, got a list"),
    ],
)
def test_quantity_is_a_strict_integer_in_range(value: str, message: str):
    assert problems(recipe_text(quantity=value)) == [f"r.yaml:6: {message}"]


def test_priority_is_between_one_and_ten():
    assert problems(recipe_text(priority="11")) == ["r.yaml:7: priority must be at most 10, got 11"]


def test_all_field_errors_are_reported_at_once_in_file_order():
    text = recipe_text(
        """
        - {id: Cut, capability: cutting.laser}
        - {id: weld, capability: joining, colour: red}
        """,
        quantity="-1",
        lotSize="0",
    )
    assert problems(text) == [
        "r.yaml:6: quantity must be at least 1, got -1",
        "r.yaml:7: lotSize must be at least 1, got 0",
        "r.yaml:9: 'Cut' is not a valid step id: use lowercase letters, digits, '-' and '_', "
        "starting with a letter or digit",
        "r.yaml:10: 'joining' is not a valid capability name: use dotted lowercase words such "
        "as 'cutting.laser'",
        "r.yaml:10: unknown key 'colour' (allowed: id, capability, parameters, after)",
    ]


def test_all_step_rule_errors_are_reported_at_once():
    text = recipe_text(
        """
        - {id: cut, capability: cutting.laser}
        - {id: cut, capability: joining.welding, after: [paint]}
        - {id: inspect, capability: inspection.vision, after: [inspect, cut, cut]}
        """
    )
    assert problems(text) == [
        "r.yaml:9: duplicate step id 'cut' (also steps[0])",
        "r.yaml:9: step 'cut' comes after 'paint', but no step has that id (steps: cut, inspect)",
        "r.yaml:10: step 'inspect' cannot come after itself",
        "r.yaml:10: step 'inspect' lists 'cut' twice in 'after'",
    ]


def test_a_cycle_is_named_from_the_first_step_in_the_file():
    text = recipe_text(
        """
        - {id: a, capability: x.y, after: [c]}
        - {id: b, capability: x.y, after: [a]}
        - {id: c, capability: x.y, after: [b]}
        - {id: d, capability: x.y}
        """
    )
    assert problems(text) == ["r.yaml:8: steps form a cycle: a -> b -> c -> a"]


def test_unknown_key_suggests_the_closest_allowed_one():
    text = recipe_text(quantiy="4").replace("  quantity: 4\n", "")
    assert problems(text) == [
        "r.yaml:4: missing required field 'quantity'",  # reported on its parent, spec
        "r.yaml:6: unknown key 'quantiy' (allowed: product, quantity, due, priority, lotSize, "
        "steps); did you mean 'quantity'?",
    ]


def test_a_bad_parameter_name_is_reported_on_its_key():
    text = recipe_text("- id: cut\n  capability: cutting.laser\n  parameters:\n    Thick: 3")
    assert problems(text) == [
        "r.yaml:11: 'Thick' is not a valid parameter name: use lowercase letters, digits and '_', "
        "starting with a letter"
    ]


def test_due_may_carry_any_offset_but_not_be_a_bare_date():
    recipe = load_recipe(recipe_text(due="2026-12-01T16:00:00+01:00"), "r.yaml")
    assert recipe.spec.due is not None and recipe.spec.due.utcoffset() is not None
    assert problems(recipe_text(due="2026-12-01")) == [
        "r.yaml:7: due needs a time zone, e.g. 2026-12-01T16:00:00Z or +01:00; got 2026-12-01"
    ]


def test_steps_in_order_respects_after_and_keeps_file_order_among_equals():
    text = recipe_text(
        """
        - {id: pack, capability: x.y, after: [paint, drill]}
        - {id: paint, capability: x.y, after: [cut]}
        - {id: cut, capability: x.y}
        - {id: drill, capability: x.y}
        """
    )
    recipe = load_recipe(text, "r.yaml")
    assert [step.id for step in recipe.steps_in_order()] == ["cut", "paint", "drill", "pack"]


def test_recipes_can_be_built_in_python_with_the_same_rules():
    data = {
        "apiVersion": "pnp/v1",
        "kind": "Order",
        "metadata": {"name": "x"},
        "spec": {"product": "p", "quantity": 2, "steps": [{"id": "a", "capability": "x.y"}]},
    }
    assert Recipe.model_validate(data).spec.quantity == 2
    data["spec"]["steps"][0]["after"] = ["a"]
    with pytest.raises(ValueError, match="cannot come after itself"):
        Recipe.model_validate(data)


def test_json_schema_describes_the_file_as_written():
    schema = recipe_json_schema()
    assert schema["$id"] and schema["title"]
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert set(schema["properties"]) == {"apiVersion", "kind", "metadata", "spec"}
    assert schema["additionalProperties"] is False
    spec = schema["$defs"]["OrderSpec"]
    assert "lotSize" in spec["properties"]
    assert spec["properties"]["quantity"]["minimum"] == 1
    assert schema["$defs"]["RecipeStep"]["properties"]["capability"]["pattern"]
