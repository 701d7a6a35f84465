"""Capability matching and the explanation of steps no module can do."""

from __future__ import annotations

from dataclasses import dataclass, field

from pnp.orchestrator.domain.matching import capability_matches, explain_unmatched, unmatched_steps
from pnp.orchestrator.domain.modules import (
    CapabilityOffer,
    ModuleDescription,
    ParameterEnvelope,
    TimeModel,
    UtilityNeeds,
)


@dataclass
class Step:
    id: str
    capability: str
    parameters: dict = field(default_factory=dict)


def laser(module_id: str, max_mm: float, materials=("steel-s235", "aluminium-6061")):
    return ModuleDescription(
        module_id=module_id,
        vendor="v",
        model="m",
        serial="s",
        footprint="ISO 20ft",
        dock="A1",
        opcua_endpoint="",
        kind="laser",
        capabilities=(
            CapabilityOffer(
                name="cutting.laser",
                parameters=(
                    ParameterEnvelope("material", allowed=materials, required=True),
                    ParameterEnvelope("thickness_mm", minimum=0.5, maximum=max_mm, unit="mm"),
                ),
                time_model=TimeModel(setup_seconds=60, seconds_per_unit=30),
            ),
        ),
        utilities=UtilityNeeds(),
    )


CUT_3MM = Step("cut", "cutting.laser", {"material": "steel-s235", "thickness_mm": 3})


def test_a_module_whose_envelope_covers_every_parameter_matches():
    assert capability_matches(CUT_3MM, laser("l1", 20))


def test_a_value_outside_the_range_does_not_match():
    assert not capability_matches(CUT_3MM, laser("l1", 2))


def test_a_missing_required_parameter_does_not_match():
    assert not capability_matches(
        Step("cut", "cutting.laser", {"thickness_mm": 3}), laser("l1", 20)
    )


def test_a_parameter_the_module_does_not_know_does_not_match():
    step = Step("cut", "cutting.laser", {"material": "steel-s235", "gas": "nitrogen"})
    assert not capability_matches(step, laser("l1", 20))


def test_a_text_where_a_number_is_expected_does_not_match():
    step = Step("cut", "cutting.laser", {"material": "steel-s235", "thickness_mm": "thick"})
    assert not capability_matches(step, laser("l1", 20))


def test_no_module_with_the_capability_says_what_to_plug_in():
    why = explain_unmatched(Step("weld", "joining.welding", {"process": "TIG"}), [laser("l1", 20)])
    assert (why.step_id, why.capability, why.parameter, why.closest_module_id) == (
        "weld",
        "joining.welding",
        "",
        "",
    )
    assert why.reason == (
        "no registered module offers joining.welding; plug in a module with "
        "joining.welding covering process=TIG"
    )


def test_the_closest_module_is_the_one_nearest_the_needed_value():
    step = Step("cut", "cutting.laser", {"material": "steel-s235", "thickness_mm": 25})
    why = explain_unmatched(step, [laser("small", 8), laser("big", 20)])
    assert why.closest_module_id == "big"
    assert why.parameter == "thickness_mm"
    assert "covers thickness_mm 0.5..20 mm, the step needs 25 mm" in why.reason


def test_fewer_gaps_beat_a_smaller_distance():
    step = Step("cut", "cutting.laser", {"material": "stainless-304", "thickness_mm": 10})
    near_but_wrong_material = laser("a", 9)
    right_material = laser("b", 9, materials=("stainless-304",))
    why = explain_unmatched(step, [near_but_wrong_material, right_material])
    assert why.closest_module_id == "b"


def test_only_steps_nobody_can_do_are_reported():
    steps = [CUT_3MM, Step("paint", "surface.painting", {"color": "RAL-3020"})]
    assert [u.step_id for u in unmatched_steps(steps, [laser("l1", 20)])] == ["paint"]


def test_a_misspelt_parameter_gets_did_you_mean_not_hardware_advice():
    typo = Step("cut", "cutting.laser", {"material": "steel-s235", "thicknes_mm": 3})
    why = explain_unmatched(typo, [laser("l1", 20), laser("l2", 8)])
    assert why.parameter == "thicknes_mm"
    assert "did you mean 'thickness_mm'?" in why.reason
    assert "plug in" not in why.reason


def test_a_parameter_unlike_any_known_one_still_gets_hardware_advice():
    odd = Step("cut", "cutting.laser", {"material": "steel-s235", "bevel_angle": 45})
    why = explain_unmatched(odd, [laser("l1", 20)])
    assert "has no parameter 'bevel_angle'" in why.reason
    assert "plug in a module with cutting.laser" in why.reason
