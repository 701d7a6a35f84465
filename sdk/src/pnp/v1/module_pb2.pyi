import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Footprint(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FOOTPRINT_UNSPECIFIED: _ClassVar[Footprint]
    FOOTPRINT_ISO_10FT: _ClassVar[Footprint]
    FOOTPRINT_ISO_20FT: _ClassVar[Footprint]
    FOOTPRINT_ISO_40FT: _ClassVar[Footprint]

class ModuleLiveness(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MODULE_LIVENESS_UNSPECIFIED: _ClassVar[ModuleLiveness]
    MODULE_LIVENESS_ALIVE: _ClassVar[ModuleLiveness]
    MODULE_LIVENESS_SUSPECT: _ClassVar[ModuleLiveness]
    MODULE_LIVENESS_LOST: _ClassVar[ModuleLiveness]
    MODULE_LIVENESS_GONE: _ClassVar[ModuleLiveness]

class ItemState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ITEM_STATE_UNSPECIFIED: _ClassVar[ItemState]
    ITEM_STATE_NOT_AVAILABLE: _ClassVar[ItemState]
    ITEM_STATE_OUT_OF_SERVICE: _ClassVar[ItemState]
    ITEM_STATE_NOT_EXECUTING: _ClassVar[ItemState]
    ITEM_STATE_EXECUTING: _ClassVar[ItemState]
FOOTPRINT_UNSPECIFIED: Footprint
FOOTPRINT_ISO_10FT: Footprint
FOOTPRINT_ISO_20FT: Footprint
FOOTPRINT_ISO_40FT: Footprint
MODULE_LIVENESS_UNSPECIFIED: ModuleLiveness
MODULE_LIVENESS_ALIVE: ModuleLiveness
MODULE_LIVENESS_SUSPECT: ModuleLiveness
MODULE_LIVENESS_LOST: ModuleLiveness
MODULE_LIVENESS_GONE: ModuleLiveness
ITEM_STATE_UNSPECIFIED: ItemState
ITEM_STATE_NOT_AVAILABLE: ItemState
ITEM_STATE_OUT_OF_SERVICE: ItemState
ITEM_STATE_NOT_EXECUTING: ItemState
ITEM_STATE_EXECUTING: ItemState

class NumericRange(_message.Message):
    __slots__ = ("min", "max", "unit")
    MIN_FIELD_NUMBER: _ClassVar[int]
    MAX_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    min: float
    max: float
    unit: str
    def __init__(self, min: _Optional[float] = ..., max: _Optional[float] = ..., unit: _Optional[str] = ...) -> None: ...

class AllowedValues(_message.Message):
    __slots__ = ("values",)
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, values: _Optional[_Iterable[str]] = ...) -> None: ...

class ParameterSpec(_message.Message):
    __slots__ = ("name", "range", "allowed", "required")
    NAME_FIELD_NUMBER: _ClassVar[int]
    RANGE_FIELD_NUMBER: _ClassVar[int]
    ALLOWED_FIELD_NUMBER: _ClassVar[int]
    REQUIRED_FIELD_NUMBER: _ClassVar[int]
    name: str
    range: NumericRange
    allowed: AllowedValues
    required: bool
    def __init__(self, name: _Optional[str] = ..., range: _Optional[_Union[NumericRange, _Mapping]] = ..., allowed: _Optional[_Union[AllowedValues, _Mapping]] = ..., required: _Optional[bool] = ...) -> None: ...

class TimeModel(_message.Message):
    __slots__ = ("setup_seconds", "seconds_per_unit", "batch_capacity", "changeovers")
    SETUP_SECONDS_FIELD_NUMBER: _ClassVar[int]
    SECONDS_PER_UNIT_FIELD_NUMBER: _ClassVar[int]
    BATCH_CAPACITY_FIELD_NUMBER: _ClassVar[int]
    CHANGEOVERS_FIELD_NUMBER: _ClassVar[int]
    setup_seconds: float
    seconds_per_unit: float
    batch_capacity: int
    changeovers: _containers.RepeatedCompositeFieldContainer[Changeover]
    def __init__(self, setup_seconds: _Optional[float] = ..., seconds_per_unit: _Optional[float] = ..., batch_capacity: _Optional[int] = ..., changeovers: _Optional[_Iterable[_Union[Changeover, _Mapping]]] = ...) -> None: ...

class Changeover(_message.Message):
    __slots__ = ("parameter", "seconds")
    PARAMETER_FIELD_NUMBER: _ClassVar[int]
    SECONDS_FIELD_NUMBER: _ClassVar[int]
    parameter: str
    seconds: float
    def __init__(self, parameter: _Optional[str] = ..., seconds: _Optional[float] = ...) -> None: ...

class Capability(_message.Message):
    __slots__ = ("name", "parameters", "time_model")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    TIME_MODEL_FIELD_NUMBER: _ClassVar[int]
    name: str
    parameters: _containers.RepeatedCompositeFieldContainer[ParameterSpec]
    time_model: TimeModel
    def __init__(self, name: _Optional[str] = ..., parameters: _Optional[_Iterable[_Union[ParameterSpec, _Mapping]]] = ..., time_model: _Optional[_Union[TimeModel, _Mapping]] = ...) -> None: ...

class UtilityNeeds(_message.Message):
    __slots__ = ("power_kw", "air_nl_per_min", "water_l_per_min")
    POWER_KW_FIELD_NUMBER: _ClassVar[int]
    AIR_NL_PER_MIN_FIELD_NUMBER: _ClassVar[int]
    WATER_L_PER_MIN_FIELD_NUMBER: _ClassVar[int]
    power_kw: float
    air_nl_per_min: float
    water_l_per_min: float
    def __init__(self, power_kw: _Optional[float] = ..., air_nl_per_min: _Optional[float] = ..., water_l_per_min: _Optional[float] = ...) -> None: ...

class ModuleDescriptor(_message.Message):
    __slots__ = ("module_id", "vendor", "model", "serial", "footprint", "dock", "opcua_endpoint", "capabilities", "utilities", "kind")
    MODULE_ID_FIELD_NUMBER: _ClassVar[int]
    VENDOR_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    SERIAL_FIELD_NUMBER: _ClassVar[int]
    FOOTPRINT_FIELD_NUMBER: _ClassVar[int]
    DOCK_FIELD_NUMBER: _ClassVar[int]
    OPCUA_ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    CAPABILITIES_FIELD_NUMBER: _ClassVar[int]
    UTILITIES_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    module_id: str
    vendor: str
    model: str
    serial: str
    footprint: Footprint
    dock: str
    opcua_endpoint: str
    capabilities: _containers.RepeatedCompositeFieldContainer[Capability]
    utilities: UtilityNeeds
    kind: str
    def __init__(self, module_id: _Optional[str] = ..., vendor: _Optional[str] = ..., model: _Optional[str] = ..., serial: _Optional[str] = ..., footprint: _Optional[_Union[Footprint, str]] = ..., dock: _Optional[str] = ..., opcua_endpoint: _Optional[str] = ..., capabilities: _Optional[_Iterable[_Union[Capability, _Mapping]]] = ..., utilities: _Optional[_Union[UtilityNeeds, _Mapping]] = ..., kind: _Optional[str] = ...) -> None: ...

class Module(_message.Message):
    __slots__ = ("descriptor", "epoch", "liveness", "item_state", "registered_at", "lease_expires_at", "draining", "released")
    DESCRIPTOR_FIELD_NUMBER: _ClassVar[int]
    EPOCH_FIELD_NUMBER: _ClassVar[int]
    LIVENESS_FIELD_NUMBER: _ClassVar[int]
    ITEM_STATE_FIELD_NUMBER: _ClassVar[int]
    REGISTERED_AT_FIELD_NUMBER: _ClassVar[int]
    LEASE_EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    DRAINING_FIELD_NUMBER: _ClassVar[int]
    RELEASED_FIELD_NUMBER: _ClassVar[int]
    descriptor: ModuleDescriptor
    epoch: int
    liveness: ModuleLiveness
    item_state: ItemState
    registered_at: _timestamp_pb2.Timestamp
    lease_expires_at: _timestamp_pb2.Timestamp
    draining: bool
    released: bool
    def __init__(self, descriptor: _Optional[_Union[ModuleDescriptor, _Mapping]] = ..., epoch: _Optional[int] = ..., liveness: _Optional[_Union[ModuleLiveness, str]] = ..., item_state: _Optional[_Union[ItemState, str]] = ..., registered_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., lease_expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., draining: _Optional[bool] = ..., released: _Optional[bool] = ...) -> None: ...
