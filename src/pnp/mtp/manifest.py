"""An MTP manifest, read: the PEA's services, procedures, parameters and OPC UA nodes.

What we read (VDI/VDE/NAMUR 2658-1, -3, -4), and how:

- the manifest is the instance hierarchy ``ModuleTypePackage``; its one element of class
  ``.../ModuleTypePackage`` names the PEA type;
- the communication set's source list holds the PEA's OPC UA server (``Endpoint``) and
  one ``OPCUAItem`` external interface per variable (``Identifier``, ``Namespace``);
- its instance list holds the data assemblies (``ServiceControl``, ``AnaServParam``,
  ``AnaView``, ...): each attribute whose value is the ID of an ``OPCUAItem`` is bound to
  that variable (``xs:IDREF`` in manifest 1.0.0, an ID link in 1.1.0: the same to us);
- the services aspect holds one ``Service`` per service, ``Procedure`` children (with
  ``ProcedureID``, ``IsDefault``, ``IsSelfCompleting``) and their parameters
  (``ProcedureParameter``, ``ConfigurationParameter``, ``ReportValue``), each tied to its
  data assembly by ``RefID``.

Types are recognised by their class path (``RefBaseSystemUnitPath``,
``RefBaseClassPath``), never by element names, and both the released 2658-4:2022 paths
(``MTPServiceSUCLib/Service/Procedure``, ``.../ServiceElement/ServiceControl``) and the
draft paths older tools still write (``MTPServiceSUCLib/ServiceProcedure``,
``.../DataAssembly/ServiceControl``) are accepted. Everything else in a manifest (HMI,
alarms, texts, diagnostics, process values outside services) is left unread.

Pure: a file in, typed values out, or a ``ManifestError`` naming file, line and element.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pnp.mtp.caex import CaexError, Element, read_caex


class ManifestError(CaexError):
    """The file is XML, even CAEX, but not an MTP manifest we can use."""


@dataclass(frozen=True)
class NodeRef:
    """One OPC UA variable of the PEA: its namespace (a URI, or an index as digits) and
    its identifier (a string, or a number when ``numeric``)."""

    namespace: str
    identifier: str
    numeric: bool = False

    def __str__(self) -> str:
        kind = "i" if self.numeric else "s"
        return f"nsu={self.namespace};{kind}={self.identifier}"


@dataclass(frozen=True)
class DataAssembly:
    name: str
    class_name: str  # the last segment of its class path: ServiceControl, AnaServParam...
    nodes: dict[str, NodeRef]  # attribute name -> the variable it is bound to
    values: dict[str, str]  # attribute name -> its static value or default value
    line: int


# The parameter data assemblies (2658-3/-4) and what their values are.
NUMERIC_PARAMETERS = {"AnaServParam": float, "DIntServParam": int}
PARAMETER_CLASSES = {*NUMERIC_PARAMETERS, "BinServParam", "StringServParam"}


@dataclass(frozen=True)
class Parameter:
    tag: str  # the element's name in the services aspect
    role: str  # "procedure", "configuration" or "report"
    class_name: str
    nodes: dict[str, NodeRef]
    minimum: float | None = None
    maximum: float | None = None
    unit_code: int = 0
    line: int = 0


@dataclass(frozen=True)
class Procedure:
    name: str
    procedure_id: int
    is_default: bool
    self_completing: bool
    parameters: tuple[Parameter, ...] = ()
    reports: tuple[Parameter, ...] = ()
    line: int = 0


@dataclass(frozen=True)
class Service:
    name: str
    control: dict[str, NodeRef]  # ServiceControl attribute -> variable
    procedures: tuple[Procedure, ...]
    configuration: tuple[Parameter, ...] = ()
    line: int = 0

    @property
    def default_procedure(self) -> Procedure:
        return next((p for p in self.procedures if p.is_default), self.procedures[0])


@dataclass(frozen=True)
class PeaManifest:
    source: str  # the file it was read from
    name: str  # the ModuleTypePackage element's name: the PEA type
    version: str
    vendor: str
    endpoint: str
    services: tuple[Service, ...]
    notes: tuple[str, ...] = field(default=())  # what was read but is not used

    def service(self, name: str) -> Service | None:
        return next((s for s in self.services if s.name == name), None)


# A service needs its state and one complete command channel (2658-4 Table 13): the
# external one (automatic mode, external source: a POL) or the operator's.
CHANNELS = {
    "external": ("CommandExt", "ProcedureExt"),
    "operator": ("CommandOp", "ProcedureOp"),
}


def read_manifest(path: Path) -> PeaManifest:
    """The PEA described by the MTP manifest at ``path``."""
    root = read_caex(path)
    return _Reader(str(path), root).manifest()


def _last_segment(class_path: str) -> str:
    return class_path.rstrip("/").rpartition("/")[2]


def _is_true(text: str) -> bool:
    return text.strip().lower() in {"true", "1"}


def _describe(element: Element) -> str:
    name = element.get("Name")
    return f'{element.tag} "{name}"' if name else element.tag


def _attribute_value(attribute: Element) -> str | None:
    value = attribute.child_text("Value")
    if value is None or value == "":
        value = attribute.child_text("DefaultValue")
    return value


class _Reader:
    def __init__(self, source: str, root: Element) -> None:
        self.source = source
        self.root = root
        self.notes: list[str] = []

    def error(self, element: Element, message: str) -> ManifestError:
        return ManifestError(self.source, element.line, message, _describe(element))

    # -- the manifest ---------------------------------------------------------------------

    def manifest(self) -> PeaManifest:
        package = self._module_type_package()
        items = self._opcua_items()
        endpoint = self._endpoint(package)
        assemblies = self._data_assemblies(items)
        services = tuple(
            self._service(element, assemblies)
            for element in self.root.iter("InternalElement")
            if _last_segment(element.get("RefBaseSystemUnitPath")) == "Service"
        )
        if not services:
            raise ManifestError(
                self.source,
                package.line,
                "the manifest describes no service (no InternalElement of class "
                "MTPServiceSUCLib/Service): there is nothing pnp could drive",
                _describe(package),
            )
        self._unique([s.name for s in services], "service", package)
        return PeaManifest(
            source=self.source,
            name=package.get("Name"),
            version=self._attribute(package, "Version") or package.child_text("Version") or "",
            vendor=self._vendor(package),
            endpoint=endpoint,
            services=services,
            notes=tuple(self.notes),
        )

    def _module_type_package(self) -> Element:
        hierarchy = next(
            (
                h
                for h in self.root.findall("InstanceHierarchy")
                if h.get("Name") == "ModuleTypePackage"
            ),
            None,
        )
        if hierarchy is None:
            raise ManifestError(
                self.source,
                self.root.line,
                'no InstanceHierarchy "ModuleTypePackage": this is not an MTP manifest',
                "CAEXFile",
            )
        package = next(
            (
                e
                for e in hierarchy.findall("InternalElement")
                if _last_segment(e.get("RefBaseSystemUnitPath")) == "ModuleTypePackage"
            ),
            None,
        )
        if package is None or not package.get("Name"):
            raise self.error(
                hierarchy, "holds no named InternalElement of class MTPSUCLib/ModuleTypePackage"
            )
        return package

    def _vendor(self, package: Element) -> str:
        for name in ("Manufacturer", "Vendor", "ManufacturerName"):
            value = self._attribute(package, name)
            if value:
                return value
        header = next(self.root.iter("WriterHeader"), None)
        vendor = header.child_text("WriterVendor") if header is not None else None
        return vendor or ""

    @staticmethod
    def _attribute(element: Element, name: str) -> str | None:
        attribute = next((a for a in element.findall("Attribute") if a.get("Name") == name), None)
        return None if attribute is None else _attribute_value(attribute)

    # -- communication ---------------------------------------------------------------------

    def _endpoint(self, package: Element) -> str:
        servers = [
            e
            for e in package.iter("InternalElement")
            if _last_segment(e.get("RefBaseSystemUnitPath")) == "OPCUAServer"
        ]
        if not servers:
            raise self.error(
                package,
                "no OPC UA server in the communication set (an InternalElement of class "
                "MTPCommunicationSUCLib/ServerAssembly/OPCUAServer)",
            )
        endpoint = self._attribute(servers[0], "Endpoint")
        if not endpoint or not endpoint.startswith("opc.tcp://"):
            raise self.error(servers[0], f"Endpoint {endpoint!r} is not an opc.tcp:// URL")
        if len(servers) > 1:
            self.notes.append(
                f"{len(servers)} OPC UA servers are listed; pnp uses the first ({endpoint})"
            )
        return endpoint

    def _opcua_items(self) -> dict[str, NodeRef]:
        items: dict[str, NodeRef] = {}
        for interface in self.root.iter("ExternalInterface"):
            if _last_segment(interface.get("RefBaseClassPath")) != "OPCUAItem":
                continue
            item_id = interface.get("ID")
            identifier = next(
                (a for a in interface.findall("Attribute") if a.get("Name") == "Identifier"), None
            )
            namespace = self._attribute(interface, "Namespace")
            if not item_id or identifier is None or not namespace:
                raise self.error(
                    interface, "an OPCUAItem needs an ID, an Identifier and a Namespace"
                )
            value = _attribute_value(identifier)
            if not value:
                raise self.error(interface, "its Identifier is empty")
            data_type = identifier.get("AttributeDataType").lower()
            numeric = data_type in {"xs:int", "xs:integer", "xs:unsignedint", "xs:long"}
            if numeric and not value.isdigit():
                raise self.error(interface, f"Identifier {value!r} is not a number ({data_type})")
            items[item_id] = NodeRef(namespace.strip(), value, numeric)
        return items

    def _data_assemblies(self, items: dict[str, NodeRef]) -> dict[str, DataAssembly]:
        """Data assemblies by every key a RefID may use: their ID and their RefID."""
        assemblies: dict[str, DataAssembly] = {}
        for element in self.root.iter("InternalElement"):
            class_path = element.get("RefBaseSystemUnitPath")
            if not class_path.startswith("MTPDataObjectSUCLib/DataAssembly"):
                continue
            nodes: dict[str, NodeRef] = {}
            values: dict[str, str] = {}
            for attribute in element.findall("Attribute"):
                name = attribute.get("Name")
                value = attribute.child_text("Value") or ""
                if value in items:
                    nodes[name] = items[value]
                    default = attribute.child_text("DefaultValue")
                    if default:
                        values[name] = default
                else:
                    text = _attribute_value(attribute)
                    if text:
                        values[name] = text
            assembly = DataAssembly(
                element.get("Name"), _last_segment(class_path), nodes, values, element.line
            )
            for key in (element.get("ID"), values.get("RefID")):
                if key:
                    assemblies[key] = assembly
        return assemblies

    def _linked(
        self, element: Element, assemblies: dict[str, DataAssembly], expected: str
    ) -> DataAssembly:
        ref_id = self._attribute(element, "RefID")
        if not ref_id:
            raise self.error(element, f"has no RefID linking it to its {expected} data assembly")
        assembly = assemblies.get(ref_id)
        if assembly is None:
            raise self.error(
                element, f"its RefID {ref_id!r} names no data assembly in the InstanceList"
            )
        return assembly

    # -- services --------------------------------------------------------------------------

    def _service(self, element: Element, assemblies: dict[str, DataAssembly]) -> Service:
        control = self._linked(element, assemblies, "ServiceControl")
        if control.class_name != "ServiceControl":
            raise self.error(
                element, f"its RefID names a {control.class_name}, not a ServiceControl"
            )
        if "StateCur" not in control.nodes:
            raise self.error(element, "its ServiceControl has no StateCur variable")
        if not any(all(n in control.nodes for n in names) for names in CHANNELS.values()):
            raise self.error(
                element,
                "its ServiceControl binds neither CommandExt+ProcedureExt nor "
                "CommandOp+ProcedureOp: pnp cannot command it",
            )
        procedures = tuple(
            self._procedure(child, assemblies)
            for child in element.findall("InternalElement")
            if _last_segment(child.get("RefBaseSystemUnitPath"))
            in {"Procedure", "ServiceProcedure"}
        )
        if not procedures:
            raise self.error(element, "the service has no procedure")
        self._unique([str(p.procedure_id) for p in procedures], "ProcedureID", element)
        self._unique([p.name for p in procedures], "procedure", element)
        if sum(p.is_default for p in procedures) > 1:
            raise self.error(element, "more than one procedure is marked IsDefault")
        configuration = tuple(
            self._parameter(child, assemblies, "configuration")
            for child in element.findall("InternalElement")
            if _last_segment(child.get("RefBaseSystemUnitPath")) == "ConfigurationParameter"
        )
        return Service(element.get("Name"), control.nodes, procedures, configuration, element.line)

    def _procedure(self, element: Element, assemblies: dict[str, DataAssembly]) -> Procedure:
        text = self._attribute(element, "ProcedureID") or self._attribute(element, "ProcedureId")
        if text is None or not text.strip().isdigit() or int(text) == 0:
            raise self.error(element, f"ProcedureID {text!r} is not a positive integer")
        parameters, reports = [], []
        for child in element.findall("InternalElement"):
            kind = _last_segment(child.get("RefBaseSystemUnitPath"))
            if kind == "ProcedureParameter":
                parameters.append(self._parameter(child, assemblies, "procedure"))
            elif kind == "ReportValue":
                reports.append(self._parameter(child, assemblies, "report"))
            elif kind in {"ProcessValueIn", "ProcessValueOut"}:
                self.notes.append(
                    f"{kind} {child.get('Name')!r} of {element.get('Name')!r} is not used"
                )
        self._unique([p.tag for p in parameters + reports], "parameter", element)
        return Procedure(
            name=element.get("Name"),
            procedure_id=int(text),
            is_default=_is_true(self._attribute(element, "IsDefault") or ""),
            self_completing=_is_true(self._attribute(element, "IsSelfCompleting") or ""),
            parameters=tuple(parameters),
            reports=tuple(reports),
            line=element.line,
        )

    def _parameter(
        self, element: Element, assemblies: dict[str, DataAssembly], role: str
    ) -> Parameter:
        assembly = self._linked(element, assemblies, "parameter")
        if role == "report":
            if "V" not in assembly.nodes and "VOut" not in assembly.nodes:
                raise self.error(element, f"its {assembly.class_name} binds no V variable")
            return Parameter(
                element.get("Name"), role, assembly.class_name, assembly.nodes, line=element.line
            )
        if assembly.class_name not in PARAMETER_CLASSES:
            raise self.error(
                element,
                f"a {assembly.class_name} is not a service parameter pnp can set "
                f"({', '.join(sorted(PARAMETER_CLASSES))})",
            )
        if not ({"VExt", "VOp"} & assembly.nodes.keys()) or "VReq" not in assembly.nodes:
            raise self.error(element, f"its {assembly.class_name} binds no VExt/VOp and VReq")
        minimum = maximum = None
        if assembly.class_name in NUMERIC_PARAMETERS:
            minimum, maximum = self._range(element, assembly)
        unit = assembly.values.get("VUnit", "0").strip()
        if not unit.lstrip("-").isdigit():
            raise self.error(element, f"VUnit {unit!r} is not a unit code")
        return Parameter(
            tag=element.get("Name"),
            role=role,
            class_name=assembly.class_name,
            nodes=assembly.nodes,
            minimum=minimum,
            maximum=maximum,
            unit_code=int(unit),
            line=element.line,
        )

    def _range(self, element: Element, assembly: DataAssembly) -> tuple[float | None, float | None]:
        # VMin/VMax are the limits the PEA enforces; VSclMin/VSclMax only scale displays.
        for low, high in (("VMin", "VMax"), ("VSclMin", "VSclMax")):
            if low in assembly.values and high in assembly.values:
                try:
                    minimum, maximum = float(assembly.values[low]), float(assembly.values[high])
                except ValueError:
                    raise self.error(
                        element, f"{low}/{high} of its {assembly.class_name} are not numbers"
                    ) from None
                if minimum > maximum:
                    raise self.error(element, f"{low} {minimum:g} is above {high} {maximum:g}")
                return minimum, maximum
        self.notes.append(
            f"parameter {element.get('Name')!r} has no range: any number is passed on"
        )
        return None, None

    def _unique(self, names: list[str], what: str, element: Element) -> None:
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise self.error(element, f"{what} named twice: {', '.join(duplicates)}")
