import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AttemptState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ATTEMPT_STATE_UNSPECIFIED: _ClassVar[AttemptState]
    ATTEMPT_STATE_STARTING: _ClassVar[AttemptState]
    ATTEMPT_STATE_RUNNING: _ClassVar[AttemptState]
    ATTEMPT_STATE_COMPLETE: _ClassVar[AttemptState]
    ATTEMPT_STATE_FAILED: _ClassVar[AttemptState]
    ATTEMPT_STATE_SUPERSEDED: _ClassVar[AttemptState]
ATTEMPT_STATE_UNSPECIFIED: AttemptState
ATTEMPT_STATE_STARTING: AttemptState
ATTEMPT_STATE_RUNNING: AttemptState
ATTEMPT_STATE_COMPLETE: AttemptState
ATTEMPT_STATE_FAILED: AttemptState
ATTEMPT_STATE_SUPERSEDED: AttemptState

class Attempt(_message.Message):
    __slots__ = ("execution_id", "operation_id", "order_id", "module_id", "epoch", "capability", "parameters_json", "units", "state", "started_at", "ended_at", "results_json", "error")
    EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    OPERATION_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    MODULE_ID_FIELD_NUMBER: _ClassVar[int]
    EPOCH_FIELD_NUMBER: _ClassVar[int]
    CAPABILITY_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_JSON_FIELD_NUMBER: _ClassVar[int]
    UNITS_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    ENDED_AT_FIELD_NUMBER: _ClassVar[int]
    RESULTS_JSON_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    execution_id: str
    operation_id: str
    order_id: str
    module_id: str
    epoch: int
    capability: str
    parameters_json: str
    units: int
    state: AttemptState
    started_at: _timestamp_pb2.Timestamp
    ended_at: _timestamp_pb2.Timestamp
    results_json: str
    error: str
    def __init__(self, execution_id: _Optional[str] = ..., operation_id: _Optional[str] = ..., order_id: _Optional[str] = ..., module_id: _Optional[str] = ..., epoch: _Optional[int] = ..., capability: _Optional[str] = ..., parameters_json: _Optional[str] = ..., units: _Optional[int] = ..., state: _Optional[_Union[AttemptState, str]] = ..., started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., ended_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., results_json: _Optional[str] = ..., error: _Optional[str] = ...) -> None: ...
