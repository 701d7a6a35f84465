"""From a manifest to a pnp module descriptor: capabilities, envelopes, bindings, YAML."""

from __future__ import annotations

import pytest

from pnp.mtp.descriptor import DescriptorError, Naming, describe, from_yaml, to_yaml
from pnp.mtp.manifest import read_manifest
from tests.mtp.peas import MANIFEST, NAMING


def test_each_service_becomes_a_capability_with_its_parameters_ranges_and_units():
    descriptor, warnings = describe(read_manifest(MANIFEST), NAMING)
    module = descriptor.spec.module
    assert (module.vendor, module.model, module.footprint) == (
        "Bioproc Systems",
        "SU500Fermenter",
        "ISO_40FT",
    )
    ferment = module.capability("bio.fermentation")
    envelopes = {p.name: p for p in ferment.parameters}
    assert envelopes["procedure"].allowed == ("batch", "fed_batch")
    assert (envelopes["volume_l"].min, envelopes["volume_l"].max) == (10, 500)
    assert envelopes["volume_l"].unit == "L"
    assert envelopes["temperature_c"].unit == "degC"
    assert envelopes["feed_rate"].unit == "L/h"
    assert not any(p.required for p in ferment.parameters)
    assert ferment.time.per_unit_s == 43200
    harvest = module.capability("bio.harvest")
    assert [p.name for p in harvest.parameters] == ["speed"]  # one procedure: no choice
    assert warnings == []


def test_the_binding_names_the_nodes_of_each_procedure():
    descriptor, _ = describe(read_manifest(MANIFEST), NAMING)
    binding = descriptor.spec.binding("bio.fermentation")
    assert binding.service == "Ferment"
    assert binding.control["ProcedureExt"].identifier == "Ferment.ProcedureExt"
    fed_batch = binding.procedure("fed_batch")
    assert fed_batch.procedure_id == 2
    assert [p.name for p in fed_batch.parameters] == ["volume_l", "temperature_c", "feed_rate"]
    assert fed_batch.parameters[2].nodes["VExt"].identifier == "Ferment.FeedRate.VExt"
    assert [r.name for r in fed_batch.reports] == ["titer_g_per_l"]
    assert binding.procedure(None).name == "batch"  # IsDefault


def test_without_names_services_are_mtp_capabilities_and_missing_durations_are_warned():
    descriptor, warnings = describe(read_manifest(MANIFEST))
    assert [c.name for c in descriptor.spec.module.capabilities] == ["mtp.ferment", "mtp.harvest"]
    assert {p.name for p in descriptor.spec.module.capabilities[0].parameters} >= {"feed_rate"}
    assert any("no duration for service Ferment" in w for w in warnings)


def test_names_that_refer_to_nothing_in_the_manifest_are_refused():
    manifest = read_manifest(MANIFEST)
    with pytest.raises(DescriptorError, match="no service 'Fermnt'"):
        describe(manifest, Naming(names={"Fermnt": "bio.fermentation"}))
    with pytest.raises(DescriptorError, match="has no parameter 'Volme'"):
        describe(manifest, Naming(names={"Ferment.Volme": "volume_l"}))
    with pytest.raises(DescriptorError, match="not dotted lower case"):
        describe(manifest, Naming(names={"Ferment": "Fermentation"}))


def test_the_yaml_file_reads_back_to_the_same_descriptor():
    descriptor, warnings = describe(read_manifest(MANIFEST), NAMING)
    assert from_yaml(to_yaml(descriptor, warnings)) == descriptor


def test_a_descriptor_whose_bindings_and_capabilities_disagree_is_refused():
    descriptor, _ = describe(read_manifest(MANIFEST), NAMING)
    text = to_yaml(descriptor).replace("capability: bio.harvest", "capability: bio.harvesting")
    with pytest.raises(DescriptorError, match=r"spec\.services bind"):
        from_yaml(text)
