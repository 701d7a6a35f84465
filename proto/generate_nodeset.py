"""Generate the module information model as an OPC UA NodeSet2 file, from pnp.v1.opcua.

Run from anywhere: `python proto/generate_nodeset.py [OUT_DIR]` (default: sdk/src/pnp/v1,
so the file ships in the pnp-factory-sdk wheel next to the code it describes). `make
proto` runs it; tests/contract/test_nodeset.py regenerates it into a temporary folder
and fails when the committed file differs, and loads it into asyncua and node-opcua.

The file declares, in the namespace ``urn:pnp:module``, two ObjectTypes: ``ModuleType``
(ModuleId, Vendor, Model, ItemState, the Skills and Telemetry folders) and ``SkillType``
(the PackML variables, Envelope, Start, QueryExecution and the PackML command methods
with their arguments). Every name, data type, argument and description comes from
pnp.v1.opcua, the definitions the SDK's server serves, so the two cannot drift.

The output is deterministic: numeric NodeIds are handed out in a fixed order (each
type's block starts at a fixed number), the publication date is the model version's,
and the XML is written in one fixed layout.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

PROTO_ROOT = Path(__file__).resolve().parent
DEFAULT_OUT = PROTO_ROOT.parent / "sdk" / "src" / "pnp" / "v1"
FILE_NAME = "pnp-module.NodeSet2.xml"
sys.path.insert(0, str(PROTO_ROOT.parent / "sdk" / "src"))

from pnp.v1.opcua import (  # noqa: E402  (the SDK's source, even when not installed)
    ARGUMENT_DATA_TYPES,
    ARGUMENT_DESCRIPTIONS,
    DATA_TYPES,
    DESCRIPTIONS,
    METHOD_ARGUMENTS,
    NAMESPACE_URI,
    SKILL_PROPERTIES,
    TELEMETRY_DATA_TYPE,
    ModuleNode,
    SkillMethod,
    SkillVariable,
)

# Bump with any change to the model; the date is part of the version, not of the build.
MODEL_VERSION = "1.1.0"  # 1.1: Start takes leaderTerm (fencing)
PUBLICATION_DATE = "2026-12-01T00:00:00Z"
UA_NAMESPACE = "http://opcfoundation.org/UA/"
UA_VERSION = "1.04.7"
UA_PUBLICATION_DATE = "2020-07-15T00:00:00Z"

NODESET_XMLNS = "http://opcfoundation.org/UA/2011/03/UANodeSet.xsd"
TYPES_XMLNS = "http://opcfoundation.org/UA/2008/02/Types.xsd"

# Where each type's NodeIds start (ns=1): a type's children are numbered from there
# in the order pnp.v1.opcua lists them, so adding a skill variable moves no module node.
MODULE_TYPE_BLOCK = 1000
SKILL_TYPE_BLOCK = 2000

ALIASES = {
    "Boolean": "i=1",
    "Int32": "i=6",
    "UInt64": "i=9",
    "Double": "i=11",
    "String": "i=12",
    "Argument": "i=296",
    "Organizes": "i=35",
    "HasModellingRule": "i=37",
    "HasTypeDefinition": "i=40",
    "HasSubtype": "i=45",
    "HasProperty": "i=46",
    "HasComponent": "i=47",
}
BASE_OBJECT_TYPE = "i=58"
FOLDER_TYPE = "i=61"
BASE_DATA_VARIABLE_TYPE = "i=63"
PROPERTY_TYPE = "i=68"
MANDATORY = "i=78"
OPTIONAL_PLACEHOLDER = "i=11508"
MANDATORY_PLACEHOLDER = "i=11510"
ARGUMENT_ENCODING = "i=297"  # Argument, Default XML


def _numbers(start: int) -> Iterator[str]:
    number = start
    while True:
        yield f"ns=1;i={number}"
        number += 1


class _NodeSet:
    def __init__(self) -> None:
        ET.register_namespace("", NODESET_XMLNS)
        self.root = ET.Element(f"{{{NODESET_XMLNS}}}UANodeSet", {"LastModified": PUBLICATION_DATE})
        uris = self._sub(self.root, "NamespaceUris")
        self._sub(uris, "Uri").text = NAMESPACE_URI
        models = self._sub(self.root, "Models")
        model = self._sub(
            models,
            "Model",
            ModelUri=NAMESPACE_URI,
            Version=MODEL_VERSION,
            PublicationDate=PUBLICATION_DATE,
        )
        self._sub(
            model,
            "RequiredModel",
            ModelUri=UA_NAMESPACE,
            Version=UA_VERSION,
            PublicationDate=UA_PUBLICATION_DATE,
        )
        aliases = self._sub(self.root, "Aliases")
        for alias, node_id in ALIASES.items():
            self._sub(aliases, "Alias", Alias=alias).text = node_id

    @staticmethod
    def _sub(parent: ET.Element, tag: str, **attributes: str) -> ET.Element:
        return ET.SubElement(parent, f"{{{NODESET_XMLNS}}}{tag}", attributes)

    def node(
        self,
        node_class: str,
        node_id: str,
        name: str,
        references: list[tuple[str, str, bool]],
        *,
        parent: str | None = None,
        **attributes: str,
    ) -> ET.Element:
        """One UANode; ``references`` are (type, target, is_forward)."""
        if parent is not None:
            attributes = {"ParentNodeId": parent, **attributes}
        element = self._sub(self.root, node_class, NodeId=node_id, BrowseName=f"1:{name}")
        for key, value in attributes.items():
            element.set(key, value)
        self._sub(element, "DisplayName").text = name
        description = DESCRIPTIONS.get(name)
        if description:
            self._sub(element, "Description").text = description
        listed = self._sub(element, "References")
        for reference_type, target, forward in references:
            reference = self._sub(listed, "Reference", ReferenceType=reference_type)
            if not forward:
                reference.set("IsForward", "false")
            reference.text = target
        return element

    def object_type(self, node_id: str, name: str) -> None:
        self.node("UAObjectType", node_id, name, [("HasSubtype", BASE_OBJECT_TYPE, False)])

    def variable(
        self,
        node_id: str,
        name: str,
        parent: str,
        data_type: str,
        *,
        rule: str = MANDATORY,
        is_property: bool = False,
    ) -> None:
        reference = "HasProperty" if is_property else "HasComponent"
        type_definition = PROPERTY_TYPE if is_property else BASE_DATA_VARIABLE_TYPE
        self.node(
            "UAVariable",
            node_id,
            name,
            [
                ("HasTypeDefinition", type_definition, True),
                ("HasModellingRule", rule, True),
                (reference, parent, False),
            ],
            parent=parent,
            DataType=data_type,
        )

    def folder(self, node_id: str, name: str, parent: str) -> None:
        self.node(
            "UAObject",
            node_id,
            name,
            [
                ("HasTypeDefinition", FOLDER_TYPE, True),
                ("HasModellingRule", MANDATORY, True),
                ("HasComponent", parent, False),
            ],
            parent=parent,
        )

    def method(self, node_id: str, name: str, parent: str) -> None:
        self.node(
            "UAMethod",
            node_id,
            name,
            [("HasModellingRule", MANDATORY, True), ("HasComponent", parent, False)],
            parent=parent,
        )

    def arguments(self, node_id: str, name: str, method: str, arguments) -> None:
        """The InputArguments or OutputArguments property of a method: Argument values."""
        element = self._sub(
            self.root,
            "UAVariable",
            NodeId=node_id,
            BrowseName=name,  # namespace 0: the standard property names
            ParentNodeId=method,
            DataType="Argument",
            ValueRank="1",
            ArrayDimensions=str(len(arguments)),
        )
        self._sub(element, "DisplayName").text = name
        references = self._sub(element, "References")
        for reference_type, target, forward in (
            ("HasTypeDefinition", PROPERTY_TYPE, True),
            ("HasModellingRule", MANDATORY, True),
            ("HasProperty", method, False),
        ):
            reference = self._sub(references, "Reference", ReferenceType=reference_type)
            if not forward:
                reference.set("IsForward", "false")
            reference.text = target
        value = self._sub(element, "Value")
        listed = ET.SubElement(value, f"{{{TYPES_XMLNS}}}ListOfExtensionObject")
        for argument in arguments:
            extension = ET.SubElement(listed, f"{{{TYPES_XMLNS}}}ExtensionObject")
            type_id = ET.SubElement(extension, f"{{{TYPES_XMLNS}}}TypeId")
            ET.SubElement(type_id, f"{{{TYPES_XMLNS}}}Identifier").text = ARGUMENT_ENCODING
            body = ET.SubElement(extension, f"{{{TYPES_XMLNS}}}Body")
            record = ET.SubElement(body, f"{{{TYPES_XMLNS}}}Argument")
            ET.SubElement(record, f"{{{TYPES_XMLNS}}}Name").text = str(argument)
            data_type = ET.SubElement(record, f"{{{TYPES_XMLNS}}}DataType")
            ET.SubElement(data_type, f"{{{TYPES_XMLNS}}}Identifier").text = ALIASES[
                ARGUMENT_DATA_TYPES[argument]
            ]
            ET.SubElement(record, f"{{{TYPES_XMLNS}}}ValueRank").text = "-1"
            ET.SubElement(record, f"{{{TYPES_XMLNS}}}ArrayDimensions")
            description = ET.SubElement(record, f"{{{TYPES_XMLNS}}}Description")
            ET.SubElement(description, f"{{{TYPES_XMLNS}}}Text").text = ARGUMENT_DESCRIPTIONS[
                argument
            ]

    def text(self) -> str:
        ET.register_namespace("uax", TYPES_XMLNS)
        ET.indent(self.root, space="  ")
        body = ET.tostring(self.root, encoding="unicode")
        return f'<?xml version="1.0" encoding="utf-8"?>\n{body}\n'


def build() -> str:
    """The NodeSet2 XML text of the pnp.v1 module information model."""
    nodeset = _NodeSet()

    ids = _numbers(SKILL_TYPE_BLOCK)
    skill_type = next(ids)
    nodeset.object_type(skill_type, "SkillType")
    for variable in SkillVariable:
        nodeset.variable(
            next(ids),
            variable,
            skill_type,
            DATA_TYPES[variable],
            is_property=variable in SKILL_PROPERTIES,
        )
    for method in SkillMethod:
        method_id = next(ids)
        nodeset.method(method_id, method, skill_type)
        inputs, outputs = METHOD_ARGUMENTS[method]
        if inputs:
            nodeset.arguments(next(ids), "InputArguments", method_id, inputs)
        if outputs:
            nodeset.arguments(next(ids), "OutputArguments", method_id, outputs)

    ids = _numbers(MODULE_TYPE_BLOCK)
    module_type = next(ids)
    nodeset.object_type(module_type, "ModuleType")
    for variable in (
        ModuleNode.MODULE_ID,
        ModuleNode.VENDOR,
        ModuleNode.MODEL,
        ModuleNode.ITEM_STATE,
    ):
        nodeset.variable(next(ids), variable, module_type, DATA_TYPES[variable])
    skills = next(ids)
    nodeset.folder(skills, ModuleNode.SKILLS, module_type)
    # At least one skill, any number more; each browse name is its capability.
    nodeset.node(
        "UAObject",
        next(ids),
        "<Skill>",
        [
            ("HasTypeDefinition", skill_type, True),
            ("HasModellingRule", MANDATORY_PLACEHOLDER, True),
            ("Organizes", skills, False),
        ],
        parent=skills,
    )
    telemetry = next(ids)
    nodeset.folder(telemetry, ModuleNode.TELEMETRY, module_type)
    nodeset.variable(
        next(ids), "<Telemetry>", telemetry, TELEMETRY_DATA_TYPE, rule=OPTIONAL_PLACEHOLDER
    )
    return nodeset.text()


def generate(out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / FILE_NAME
    path.write_text(build(), encoding="utf-8")
    return path


if __name__ == "__main__":
    generate(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUT)
