import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class OrderState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ORDER_STATE_UNSPECIFIED: _ClassVar[OrderState]
    ORDER_STATE_NOT_ALLOWED_TO_START: _ClassVar[OrderState]
    ORDER_STATE_ALLOWED_TO_START: _ClassVar[OrderState]
    ORDER_STATE_RUNNING: _ClassVar[OrderState]
    ORDER_STATE_INTERRUPTED: _ClassVar[OrderState]
    ORDER_STATE_COMPLETED: _ClassVar[OrderState]
    ORDER_STATE_CLOSED: _ClassVar[OrderState]
    ORDER_STATE_ABORTED: _ClassVar[OrderState]
ORDER_STATE_UNSPECIFIED: OrderState
ORDER_STATE_NOT_ALLOWED_TO_START: OrderState
ORDER_STATE_ALLOWED_TO_START: OrderState
ORDER_STATE_RUNNING: OrderState
ORDER_STATE_INTERRUPTED: OrderState
ORDER_STATE_COMPLETED: OrderState
ORDER_STATE_CLOSED: OrderState
ORDER_STATE_ABORTED: OrderState

class ParameterValue(_message.Message):
    __slots__ = ("text", "number", "flag")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    FLAG_FIELD_NUMBER: _ClassVar[int]
    text: str
    number: float
    flag: bool
    def __init__(self, text: _Optional[str] = ..., number: _Optional[float] = ..., flag: _Optional[bool] = ...) -> None: ...

class Step(_message.Message):
    __slots__ = ("id", "capability", "parameters", "after")
    class ParametersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: ParameterValue
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[ParameterValue, _Mapping]] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    CAPABILITY_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    AFTER_FIELD_NUMBER: _ClassVar[int]
    id: str
    capability: str
    parameters: _containers.MessageMap[str, ParameterValue]
    after: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, id: _Optional[str] = ..., capability: _Optional[str] = ..., parameters: _Optional[_Mapping[str, ParameterValue]] = ..., after: _Optional[_Iterable[str]] = ...) -> None: ...

class Unmatched(_message.Message):
    __slots__ = ("step_id", "capability", "parameter", "closest_module_id", "reason")
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    CAPABILITY_FIELD_NUMBER: _ClassVar[int]
    PARAMETER_FIELD_NUMBER: _ClassVar[int]
    CLOSEST_MODULE_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    step_id: str
    capability: str
    parameter: str
    closest_module_id: str
    reason: str
    def __init__(self, step_id: _Optional[str] = ..., capability: _Optional[str] = ..., parameter: _Optional[str] = ..., closest_module_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class Order(_message.Message):
    __slots__ = ("order_id", "name", "product", "quantity", "due", "priority", "lot_size", "steps", "state", "submitted_at", "unmatched", "source", "operations_total", "operations_done", "completed_at")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    DUE_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    LOT_SIZE_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    SUBMITTED_AT_FIELD_NUMBER: _ClassVar[int]
    UNMATCHED_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    OPERATIONS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    OPERATIONS_DONE_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_AT_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    name: str
    product: str
    quantity: int
    due: _timestamp_pb2.Timestamp
    priority: int
    lot_size: int
    steps: _containers.RepeatedCompositeFieldContainer[Step]
    state: OrderState
    submitted_at: _timestamp_pb2.Timestamp
    unmatched: _containers.RepeatedCompositeFieldContainer[Unmatched]
    source: str
    operations_total: int
    operations_done: int
    completed_at: _timestamp_pb2.Timestamp
    def __init__(self, order_id: _Optional[str] = ..., name: _Optional[str] = ..., product: _Optional[str] = ..., quantity: _Optional[int] = ..., due: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., priority: _Optional[int] = ..., lot_size: _Optional[int] = ..., steps: _Optional[_Iterable[_Union[Step, _Mapping]]] = ..., state: _Optional[_Union[OrderState, str]] = ..., submitted_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., unmatched: _Optional[_Iterable[_Union[Unmatched, _Mapping]]] = ..., source: _Optional[str] = ..., operations_total: _Optional[int] = ..., operations_done: _Optional[int] = ..., completed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
