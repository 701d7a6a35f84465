import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class UsageGrouping(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    USAGE_GROUPING_UNSPECIFIED: _ClassVar[UsageGrouping]
    USAGE_GROUPING_MODULE: _ClassVar[UsageGrouping]
    USAGE_GROUPING_VENDOR: _ClassVar[UsageGrouping]
    USAGE_GROUPING_ORDER: _ClassVar[UsageGrouping]
USAGE_GROUPING_UNSPECIFIED: UsageGrouping
USAGE_GROUPING_MODULE: UsageGrouping
USAGE_GROUPING_VENDOR: UsageGrouping
USAGE_GROUPING_ORDER: UsageGrouping

class GetModuleShellRequest(_message.Message):
    __slots__ = ("module_id",)
    MODULE_ID_FIELD_NUMBER: _ClassVar[int]
    module_id: str
    def __init__(self, module_id: _Optional[str] = ...) -> None: ...

class GetModuleShellResponse(_message.Message):
    __slots__ = ("environment_json",)
    ENVIRONMENT_JSON_FIELD_NUMBER: _ClassVar[int]
    environment_json: str
    def __init__(self, environment_json: _Optional[str] = ...) -> None: ...

class GetUsageRequest(_message.Message):
    __slots__ = ("from_time", "to_time", "by")
    FROM_TIME_FIELD_NUMBER: _ClassVar[int]
    TO_TIME_FIELD_NUMBER: _ClassVar[int]
    BY_FIELD_NUMBER: _ClassVar[int]
    from_time: _timestamp_pb2.Timestamp
    to_time: _timestamp_pb2.Timestamp
    by: UsageGrouping
    def __init__(self, from_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., to_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., by: _Optional[_Union[UsageGrouping, str]] = ...) -> None: ...

class UsageRow(_message.Message):
    __slots__ = ("key", "vendor", "executing_hours", "idle_hours", "held_hours", "out_of_service_hours", "units", "energy_kwh", "cycles", "failures")
    KEY_FIELD_NUMBER: _ClassVar[int]
    VENDOR_FIELD_NUMBER: _ClassVar[int]
    EXECUTING_HOURS_FIELD_NUMBER: _ClassVar[int]
    IDLE_HOURS_FIELD_NUMBER: _ClassVar[int]
    HELD_HOURS_FIELD_NUMBER: _ClassVar[int]
    OUT_OF_SERVICE_HOURS_FIELD_NUMBER: _ClassVar[int]
    UNITS_FIELD_NUMBER: _ClassVar[int]
    ENERGY_KWH_FIELD_NUMBER: _ClassVar[int]
    CYCLES_FIELD_NUMBER: _ClassVar[int]
    FAILURES_FIELD_NUMBER: _ClassVar[int]
    key: str
    vendor: str
    executing_hours: float
    idle_hours: float
    held_hours: float
    out_of_service_hours: float
    units: int
    energy_kwh: float
    cycles: int
    failures: int
    def __init__(self, key: _Optional[str] = ..., vendor: _Optional[str] = ..., executing_hours: _Optional[float] = ..., idle_hours: _Optional[float] = ..., held_hours: _Optional[float] = ..., out_of_service_hours: _Optional[float] = ..., units: _Optional[int] = ..., energy_kwh: _Optional[float] = ..., cycles: _Optional[int] = ..., failures: _Optional[int] = ...) -> None: ...

class GetUsageResponse(_message.Message):
    __slots__ = ("rows", "metered_until")
    ROWS_FIELD_NUMBER: _ClassVar[int]
    METERED_UNTIL_FIELD_NUMBER: _ClassVar[int]
    rows: _containers.RepeatedCompositeFieldContainer[UsageRow]
    metered_until: _timestamp_pb2.Timestamp
    def __init__(self, rows: _Optional[_Iterable[_Union[UsageRow, _Mapping]]] = ..., metered_until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ExportPassportRequest(_message.Message):
    __slots__ = ("module_id",)
    MODULE_ID_FIELD_NUMBER: _ClassVar[int]
    module_id: str
    def __init__(self, module_id: _Optional[str] = ...) -> None: ...

class ExportPassportResponse(_message.Message):
    __slots__ = ("passport_json",)
    PASSPORT_JSON_FIELD_NUMBER: _ClassVar[int]
    passport_json: str
    def __init__(self, passport_json: _Optional[str] = ...) -> None: ...

class ImportPassportRequest(_message.Message):
    __slots__ = ("passport_json", "request_id")
    PASSPORT_JSON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    passport_json: str
    request_id: str
    def __init__(self, passport_json: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class ImportPassportResponse(_message.Message):
    __slots__ = ("module_id", "vendor", "serial", "signer", "issuer", "sites")
    MODULE_ID_FIELD_NUMBER: _ClassVar[int]
    VENDOR_FIELD_NUMBER: _ClassVar[int]
    SERIAL_FIELD_NUMBER: _ClassVar[int]
    SIGNER_FIELD_NUMBER: _ClassVar[int]
    ISSUER_FIELD_NUMBER: _ClassVar[int]
    SITES_FIELD_NUMBER: _ClassVar[int]
    module_id: str
    vendor: str
    serial: str
    signer: str
    issuer: str
    sites: int
    def __init__(self, module_id: _Optional[str] = ..., vendor: _Optional[str] = ..., serial: _Optional[str] = ..., signer: _Optional[str] = ..., issuer: _Optional[str] = ..., sites: _Optional[int] = ...) -> None: ...

class ExportSignedOrderDataRequest(_message.Message):
    __slots__ = ("order_id", "purpose", "recipient", "expires_at")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    RECIPIENT_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    purpose: str
    recipient: str
    expires_at: _timestamp_pb2.Timestamp
    def __init__(self, order_id: _Optional[str] = ..., purpose: _Optional[str] = ..., recipient: _Optional[str] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ExportSignedOrderDataResponse(_message.Message):
    __slots__ = ("signed_json",)
    SIGNED_JSON_FIELD_NUMBER: _ClassVar[int]
    signed_json: str
    def __init__(self, signed_json: _Optional[str] = ...) -> None: ...

class MaintenanceWindow(_message.Message):
    __slots__ = ("module_id", "start", "end", "reason")
    MODULE_ID_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    module_id: str
    start: _timestamp_pb2.Timestamp
    end: _timestamp_pb2.Timestamp
    reason: str
    def __init__(self, module_id: _Optional[str] = ..., start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reason: _Optional[str] = ...) -> None: ...

class ModuleHealth(_message.Message):
    __slots__ = ("module_id", "scored", "score", "anomaly", "worst_feature", "executions", "proposal", "planned")
    MODULE_ID_FIELD_NUMBER: _ClassVar[int]
    SCORED_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    ANOMALY_FIELD_NUMBER: _ClassVar[int]
    WORST_FEATURE_FIELD_NUMBER: _ClassVar[int]
    EXECUTIONS_FIELD_NUMBER: _ClassVar[int]
    PROPOSAL_FIELD_NUMBER: _ClassVar[int]
    PLANNED_FIELD_NUMBER: _ClassVar[int]
    module_id: str
    scored: bool
    score: float
    anomaly: float
    worst_feature: str
    executions: int
    proposal: MaintenanceWindow
    planned: _containers.RepeatedCompositeFieldContainer[MaintenanceWindow]
    def __init__(self, module_id: _Optional[str] = ..., scored: _Optional[bool] = ..., score: _Optional[float] = ..., anomaly: _Optional[float] = ..., worst_feature: _Optional[str] = ..., executions: _Optional[int] = ..., proposal: _Optional[_Union[MaintenanceWindow, _Mapping]] = ..., planned: _Optional[_Iterable[_Union[MaintenanceWindow, _Mapping]]] = ...) -> None: ...

class ListModuleHealthRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListModuleHealthResponse(_message.Message):
    __slots__ = ("modules",)
    MODULES_FIELD_NUMBER: _ClassVar[int]
    modules: _containers.RepeatedCompositeFieldContainer[ModuleHealth]
    def __init__(self, modules: _Optional[_Iterable[_Union[ModuleHealth, _Mapping]]] = ...) -> None: ...

class ScheduleMaintenanceRequest(_message.Message):
    __slots__ = ("module_id", "start", "end", "reason", "accept_proposal", "request_id")
    MODULE_ID_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ACCEPT_PROPOSAL_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    module_id: str
    start: _timestamp_pb2.Timestamp
    end: _timestamp_pb2.Timestamp
    reason: str
    accept_proposal: bool
    request_id: str
    def __init__(self, module_id: _Optional[str] = ..., start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reason: _Optional[str] = ..., accept_proposal: _Optional[bool] = ..., request_id: _Optional[str] = ...) -> None: ...

class ScheduleMaintenanceResponse(_message.Message):
    __slots__ = ("window",)
    WINDOW_FIELD_NUMBER: _ClassVar[int]
    window: MaintenanceWindow
    def __init__(self, window: _Optional[_Union[MaintenanceWindow, _Mapping]] = ...) -> None: ...
