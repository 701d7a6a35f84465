"""Reading MTP manifests: what is taken from them, and bad ones named by file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from pnp.mtp.caex import CaexError
from pnp.mtp.manifest import ManifestError, NodeRef, read_manifest
from tests.mtp.peas import MANIFEST

NS = "urn:example:su500-fermenter"


def test_the_fermenter_manifest_yields_its_services_procedures_and_parameters():
    pea = read_manifest(MANIFEST)
    assert (pea.name, pea.vendor, pea.version) == ("SU500Fermenter", "Bioproc Systems", "1.1.0")
    assert pea.endpoint == "opc.tcp://127.0.0.1:4840"
    assert [s.name for s in pea.services] == ["Ferment", "Harvest"]
    ferment = pea.service("Ferment")
    assert ferment.control["CommandExt"] == NodeRef(NS, "Ferment.CommandExt")
    assert ferment.control["StateCur"] == NodeRef(NS, "Ferment.StateCur")
    assert [(p.name, p.procedure_id, p.is_default) for p in ferment.procedures] == [
        ("Batch", 1, True),
        ("FedBatch", 2, False),
    ]
    feed_rate = ferment.procedures[1].parameters[2]
    assert (feed_rate.tag, feed_rate.class_name) == ("FeedRate", "AnaServParam")
    assert (feed_rate.minimum, feed_rate.maximum, feed_rate.unit_code) == (0, 5, 1353)
    assert feed_rate.nodes["VExt"] == NodeRef(NS, "Ferment.FeedRate.VExt")
    [titer] = ferment.procedures[0].reports
    assert titer.nodes["V"] == NodeRef(NS, "Ferment.Titer.V")
    speed = pea.service("Harvest").procedures[0].parameters[0]
    assert (speed.class_name, speed.minimum, speed.maximum) == ("DIntServParam", 1000, 12000)


# A manifest in the older layout (CAEX 2.15, manifest 1.0.0, the draft class paths MTPPy
# writes): xs:IDREF links, DataAssembly/ServiceControl, ServiceProcedure, numeric node ids.
LEGACY = """<?xml version="1.0"?>
<CAEXFile SchemaVersion="2.15" FileName="m.aml">
  <InstanceHierarchy Name="ModuleTypePackage">
    <InternalElement Name="Mixer" ID="m1" RefBaseSystemUnitPath="MTPSUCLib/ModuleTypePackage">
      <InternalElement Name="Communication" ID="c1" RefBaseSystemUnitPath="MTPSUCLib/CommunicationSet">
        <InternalElement Name="InstanceList" ID="l1" RefBaseSystemUnitPath="MTPSUCLib/CommunicationSet/InstanceList">
          <InternalElement Name="mix.ServiceControl" ID="da-mix" RefBaseSystemUnitPath="MTPDataObjectSUCLib/DataAssembly/ServiceControl">
            <Attribute Name="StateCur" AttributeDataType="xs:IDREF"><Value>i-state</Value></Attribute>
            <Attribute Name="CommandOp" AttributeDataType="xs:IDREF"><Value>i-cmd</Value></Attribute>
            <Attribute Name="ProcedureOp" AttributeDataType="xs:IDREF"><Value>i-proc</Value></Attribute>
          </InternalElement>
          <InternalElement Name="speed" ID="da-speed" RefBaseSystemUnitPath="MTPDataObjectSUCLib/DataAssembly/OperationElement/AnaServParam">
            <Attribute Name="VOp" AttributeDataType="xs:IDREF"><Value>i-vop</Value></Attribute>
            <Attribute Name="VReq" AttributeDataType="xs:IDREF"><Value>i-vreq</Value></Attribute>
            <Attribute Name="VSclMin" AttributeDataType="xs:IDREF"><DefaultValue>0</DefaultValue><Value>i-min</Value></Attribute>
            <Attribute Name="VSclMax" AttributeDataType="xs:IDREF"><DefaultValue>300</DefaultValue><Value>i-max</Value></Attribute>
            <Attribute Name="VUnit" AttributeDataType="xs:IDREF"><DefaultValue>1083</DefaultValue><Value>i-unit</Value></Attribute>
          </InternalElement>
        </InternalElement>
        <InternalElement Name="SourceList" ID="s1" RefBaseSystemUnitPath="MTPSUCLib/CommunicationSet/SourceList">
          <InternalElement Name="OPCServer" ID="o1" RefBaseSystemUnitPath="MTPCommunicationSUCLib/ServerAssembly/OPCUAServer">
            <Attribute Name="Endpoint"><Value>opc.tcp://10.0.0.7:4840</Value></Attribute>
            {items}
          </InternalElement>
        </InternalElement>
      </InternalElement>
    </InternalElement>
  </InstanceHierarchy>
  <InstanceHierarchy Name="Services">
    <InternalElement Name="Mix" ID="svc" RefBaseSystemUnitPath="MTPServiceSUCLib/Service">
      <Attribute Name="RefID" AttributeDataType="xs:ID"><Value>da-mix</Value></Attribute>
      <InternalElement Name="Stir" ID="p1" RefBaseSystemUnitPath="MTPServiceSUCLib/ServiceProcedure">
        <Attribute Name="ProcedureID" AttributeDataType="xs:IDREF"><Value>1</Value></Attribute>
        <Attribute Name="IsSelfCompleting" AttributeDataType="xs:IDREF"><Value>False</Value></Attribute>
        <InternalElement Name="speed" ID="pp" RefBaseSystemUnitPath="MTPServiceSUCLib/ServiceParameter/ProcedureParameter">
          <Attribute Name="RefID" AttributeDataType="xs:ID"><Value>da-speed</Value></Attribute>
        </InternalElement>
      </InternalElement>
    </InternalElement>
  </InstanceHierarchy>
</CAEXFile>
"""
ITEM = """<ExternalInterface Name="{id}" ID="{id}" RefBaseClassPath="MTPCommunicationICLib/DataItem/OPCUAItem">
  <Attribute Name="Identifier" AttributeDataType="xs:int"><Value>{number}</Value></Attribute>
  <Attribute Name="Namespace"><Value>2</Value></Attribute>
</ExternalInterface>"""


def legacy(tmp_path: Path, text: str | None = None) -> Path:
    ids = ["i-state", "i-cmd", "i-proc", "i-vop", "i-vreq", "i-min", "i-max", "i-unit"]
    items = "\n".join(ITEM.format(id=i, number=100 + n) for n, i in enumerate(ids))
    path = tmp_path / "mixer.aml"
    path.write_text(text if text is not None else LEGACY.replace("{items}", items))
    return path


def test_a_manifest_in_the_older_layout_is_read_too(tmp_path):
    pea = read_manifest(legacy(tmp_path))
    [mix] = pea.services
    assert mix.control["CommandOp"] == NodeRef("2", "101", numeric=True)
    [stir] = mix.procedures
    assert (stir.procedure_id, stir.self_completing) == (1, False)
    [speed] = stir.parameters
    # No VMin/VMax: the display scale is the range; defaults stand for linked values.
    assert (speed.minimum, speed.maximum, speed.unit_code) == (0, 300, 1083)


def error_of(path: Path) -> CaexError:
    with pytest.raises(CaexError) as caught:
        read_manifest(path)
    return caught.value


def test_a_file_that_is_not_xml_is_named_with_its_line(tmp_path):
    path = tmp_path / "broken.aml"
    path.write_text("<CAEXFile>\n  <InstanceHierarchy>\n</CAEXFile>\n")
    error = error_of(path)
    assert error.line == 3 and "not well-formed" in error.message


def test_entities_are_refused_before_they_expand(tmp_path):
    path = tmp_path / "bomb.aml"
    path.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE CAEXFile [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>\n<CAEXFile>&b;</CAEXFile>\n'
    )
    assert "DOCTYPE is not allowed" in error_of(path).message


def test_a_file_over_the_size_cap_is_refused_unread(tmp_path):
    from pnp.mtp.caex import read_caex

    path = tmp_path / "huge.aml"
    path.write_text("<CAEXFile>" + " " * 2048 + "</CAEXFile>")
    with pytest.raises(CaexError, match="larger than"):
        read_caex(path, max_bytes=1024)


def test_a_caex_file_without_the_manifest_hierarchy_is_not_an_mtp(tmp_path):
    path = tmp_path / "plain.aml"
    path.write_text(
        '<CAEXFile SchemaVersion="3.0">\n  <InstanceHierarchy Name="Plant"/>\n</CAEXFile>'
    )
    error = error_of(path)
    assert isinstance(error, ManifestError)
    assert "not an MTP manifest" in error.message


def test_a_service_whose_refid_links_nothing_is_named_with_its_line(tmp_path):
    path = legacy(tmp_path)
    text = path.read_text().replace("<Value>da-mix</Value>", "<Value>nowhere</Value>")
    path.write_text(text)
    error = error_of(path)
    assert error.element == 'InternalElement "Mix"'
    assert (
        error.line
        == text.splitlines().index(next(line for line in text.splitlines() if 'Name="Mix"' in line))
        + 1
    )
    assert "names no data assembly" in error.message


def test_a_procedure_without_a_valid_id_is_refused(tmp_path):
    path = legacy(tmp_path)
    path.write_text(path.read_text().replace("<Value>1</Value>", "<Value>one</Value>"))
    error = error_of(path)
    assert error.element == 'InternalElement "Stir"' and "ProcedureID" in error.message


def test_a_range_upside_down_is_refused(tmp_path):
    path = legacy(tmp_path)
    path.write_text(
        path.read_text().replace(
            "<DefaultValue>300</DefaultValue>", "<DefaultValue>-5</DefaultValue>"
        )
    )
    error = error_of(path)
    assert error.element == 'InternalElement "speed"' and "above" in error.message
