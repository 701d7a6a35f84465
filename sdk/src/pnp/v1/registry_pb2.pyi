import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from pnp.v1 import module_pb2 as _module_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class DirectiveKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DIRECTIVE_KIND_UNSPECIFIED: _ClassVar[DirectiveKind]
    DIRECTIVE_KIND_CONFIGURE: _ClassVar[DirectiveKind]
    DIRECTIVE_KIND_DRAIN: _ClassVar[DirectiveKind]
    DIRECTIVE_KIND_RELEASE: _ClassVar[DirectiveKind]
    DIRECTIVE_KIND_ABORT: _ClassVar[DirectiveKind]
DIRECTIVE_KIND_UNSPECIFIED: DirectiveKind
DIRECTIVE_KIND_CONFIGURE: DirectiveKind
DIRECTIVE_KIND_DRAIN: DirectiveKind
DIRECTIVE_KIND_RELEASE: DirectiveKind
DIRECTIVE_KIND_ABORT: DirectiveKind

class RegisterModuleRequest(_message.Message):
    __slots__ = ("descriptor", "boot_id", "request_id", "replace")
    DESCRIPTOR_FIELD_NUMBER: _ClassVar[int]
    BOOT_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    REPLACE_FIELD_NUMBER: _ClassVar[int]
    descriptor: _module_pb2.ModuleDescriptor
    boot_id: str
    request_id: str
    replace: bool
    def __init__(self, descriptor: _Optional[_Union[_module_pb2.ModuleDescriptor, _Mapping]] = ..., boot_id: _Optional[str] = ..., request_id: _Optional[str] = ..., replace: _Optional[bool] = ...) -> None: ...

class RegisterModuleResponse(_message.Message):
    __slots__ = ("module_id", "epoch", "lease_ttl", "heartbeat_interval", "leader_term")
    MODULE_ID_FIELD_NUMBER: _ClassVar[int]
    EPOCH_FIELD_NUMBER: _ClassVar[int]
    LEASE_TTL_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    LEADER_TERM_FIELD_NUMBER: _ClassVar[int]
    module_id: str
    epoch: int
    lease_ttl: _duration_pb2.Duration
    heartbeat_interval: _duration_pb2.Duration
    leader_term: int
    def __init__(self, module_id: _Optional[str] = ..., epoch: _Optional[int] = ..., lease_ttl: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., heartbeat_interval: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., leader_term: _Optional[int] = ...) -> None: ...

class SessionRequest(_message.Message):
    __slots__ = ("hello", "heartbeat", "state")
    HELLO_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    hello: SessionHello
    heartbeat: Heartbeat
    state: StateReport
    def __init__(self, hello: _Optional[_Union[SessionHello, _Mapping]] = ..., heartbeat: _Optional[_Union[Heartbeat, _Mapping]] = ..., state: _Optional[_Union[StateReport, _Mapping]] = ...) -> None: ...

class SessionHello(_message.Message):
    __slots__ = ("module_id", "epoch")
    MODULE_ID_FIELD_NUMBER: _ClassVar[int]
    EPOCH_FIELD_NUMBER: _ClassVar[int]
    module_id: str
    epoch: int
    def __init__(self, module_id: _Optional[str] = ..., epoch: _Optional[int] = ...) -> None: ...

class Heartbeat(_message.Message):
    __slots__ = ("sequence",)
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    def __init__(self, sequence: _Optional[int] = ...) -> None: ...

class StateReport(_message.Message):
    __slots__ = ("item_state",)
    ITEM_STATE_FIELD_NUMBER: _ClassVar[int]
    item_state: _module_pb2.ItemState
    def __init__(self, item_state: _Optional[_Union[_module_pb2.ItemState, str]] = ...) -> None: ...

class SessionResponse(_message.Message):
    __slots__ = ("heartbeat_ack", "directive")
    HEARTBEAT_ACK_FIELD_NUMBER: _ClassVar[int]
    DIRECTIVE_FIELD_NUMBER: _ClassVar[int]
    heartbeat_ack: HeartbeatAck
    directive: Directive
    def __init__(self, heartbeat_ack: _Optional[_Union[HeartbeatAck, _Mapping]] = ..., directive: _Optional[_Union[Directive, _Mapping]] = ...) -> None: ...

class HeartbeatAck(_message.Message):
    __slots__ = ("sequence", "lease_remaining", "leader_term")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    LEASE_REMAINING_FIELD_NUMBER: _ClassVar[int]
    LEADER_TERM_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    lease_remaining: _duration_pb2.Duration
    leader_term: int
    def __init__(self, sequence: _Optional[int] = ..., lease_remaining: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., leader_term: _Optional[int] = ...) -> None: ...

class Directive(_message.Message):
    __slots__ = ("kind", "epoch", "configuration_json", "reason", "leader_term")
    KIND_FIELD_NUMBER: _ClassVar[int]
    EPOCH_FIELD_NUMBER: _ClassVar[int]
    CONFIGURATION_JSON_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    LEADER_TERM_FIELD_NUMBER: _ClassVar[int]
    kind: DirectiveKind
    epoch: int
    configuration_json: str
    reason: str
    leader_term: int
    def __init__(self, kind: _Optional[_Union[DirectiveKind, str]] = ..., epoch: _Optional[int] = ..., configuration_json: _Optional[str] = ..., reason: _Optional[str] = ..., leader_term: _Optional[int] = ...) -> None: ...

class DeregisterModuleRequest(_message.Message):
    __slots__ = ("module_id", "epoch", "request_id")
    MODULE_ID_FIELD_NUMBER: _ClassVar[int]
    EPOCH_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    module_id: str
    epoch: int
    request_id: str
    def __init__(self, module_id: _Optional[str] = ..., epoch: _Optional[int] = ..., request_id: _Optional[str] = ...) -> None: ...

class DeregisterModuleResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...
