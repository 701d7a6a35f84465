import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PlanStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PLAN_STATUS_UNSPECIFIED: _ClassVar[PlanStatus]
    PLAN_STATUS_OPTIMAL: _ClassVar[PlanStatus]
    PLAN_STATUS_FEASIBLE: _ClassVar[PlanStatus]
    PLAN_STATUS_INFEASIBLE: _ClassVar[PlanStatus]
    PLAN_STATUS_EMPTY: _ClassVar[PlanStatus]
    PLAN_STATUS_UNKNOWN: _ClassVar[PlanStatus]
PLAN_STATUS_UNSPECIFIED: PlanStatus
PLAN_STATUS_OPTIMAL: PlanStatus
PLAN_STATUS_FEASIBLE: PlanStatus
PLAN_STATUS_INFEASIBLE: PlanStatus
PLAN_STATUS_EMPTY: PlanStatus
PLAN_STATUS_UNKNOWN: PlanStatus

class Assignment(_message.Message):
    __slots__ = ("operation_id", "order_id", "step_id", "lot", "units", "module_id", "start", "end")
    OPERATION_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    LOT_FIELD_NUMBER: _ClassVar[int]
    UNITS_FIELD_NUMBER: _ClassVar[int]
    MODULE_ID_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    operation_id: str
    order_id: str
    step_id: str
    lot: int
    units: int
    module_id: str
    start: _timestamp_pb2.Timestamp
    end: _timestamp_pb2.Timestamp
    def __init__(self, operation_id: _Optional[str] = ..., order_id: _Optional[str] = ..., step_id: _Optional[str] = ..., lot: _Optional[int] = ..., units: _Optional[int] = ..., module_id: _Optional[str] = ..., start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Plan(_message.Message):
    __slots__ = ("version", "status", "created_at", "origin", "assignments", "unplanned_order_ids", "makespan_seconds", "weighted_tardiness_seconds", "solve_seconds", "objective", "objective_bound")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    ASSIGNMENTS_FIELD_NUMBER: _ClassVar[int]
    UNPLANNED_ORDER_IDS_FIELD_NUMBER: _ClassVar[int]
    MAKESPAN_SECONDS_FIELD_NUMBER: _ClassVar[int]
    WEIGHTED_TARDINESS_SECONDS_FIELD_NUMBER: _ClassVar[int]
    SOLVE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    OBJECTIVE_FIELD_NUMBER: _ClassVar[int]
    OBJECTIVE_BOUND_FIELD_NUMBER: _ClassVar[int]
    version: int
    status: PlanStatus
    created_at: _timestamp_pb2.Timestamp
    origin: _timestamp_pb2.Timestamp
    assignments: _containers.RepeatedCompositeFieldContainer[Assignment]
    unplanned_order_ids: _containers.RepeatedScalarFieldContainer[str]
    makespan_seconds: float
    weighted_tardiness_seconds: float
    solve_seconds: float
    objective: float
    objective_bound: float
    def __init__(self, version: _Optional[int] = ..., status: _Optional[_Union[PlanStatus, str]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., origin: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., assignments: _Optional[_Iterable[_Union[Assignment, _Mapping]]] = ..., unplanned_order_ids: _Optional[_Iterable[str]] = ..., makespan_seconds: _Optional[float] = ..., weighted_tardiness_seconds: _Optional[float] = ..., solve_seconds: _Optional[float] = ..., objective: _Optional[float] = ..., objective_bound: _Optional[float] = ...) -> None: ...

class LineNode(_message.Message):
    __slots__ = ("module_id", "dock", "operation_ids")
    MODULE_ID_FIELD_NUMBER: _ClassVar[int]
    DOCK_FIELD_NUMBER: _ClassVar[int]
    OPERATION_IDS_FIELD_NUMBER: _ClassVar[int]
    module_id: str
    dock: str
    operation_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, module_id: _Optional[str] = ..., dock: _Optional[str] = ..., operation_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class LineEdge(_message.Message):
    __slots__ = ("from_module_id", "to_module_id", "transport_seconds", "flows")
    FROM_MODULE_ID_FIELD_NUMBER: _ClassVar[int]
    TO_MODULE_ID_FIELD_NUMBER: _ClassVar[int]
    TRANSPORT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    FLOWS_FIELD_NUMBER: _ClassVar[int]
    from_module_id: str
    to_module_id: str
    transport_seconds: float
    flows: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, from_module_id: _Optional[str] = ..., to_module_id: _Optional[str] = ..., transport_seconds: _Optional[float] = ..., flows: _Optional[_Iterable[str]] = ...) -> None: ...

class LineGraph(_message.Message):
    __slots__ = ("order_id", "nodes", "edges")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    NODES_FIELD_NUMBER: _ClassVar[int]
    EDGES_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    nodes: _containers.RepeatedCompositeFieldContainer[LineNode]
    edges: _containers.RepeatedCompositeFieldContainer[LineEdge]
    def __init__(self, order_id: _Optional[str] = ..., nodes: _Optional[_Iterable[_Union[LineNode, _Mapping]]] = ..., edges: _Optional[_Iterable[_Union[LineEdge, _Mapping]]] = ...) -> None: ...
