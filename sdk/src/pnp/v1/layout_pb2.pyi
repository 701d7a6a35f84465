from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Dock(_message.Message):
    __slots__ = ("dock_id", "x_m", "y_m", "power_kw", "air_nl_per_min", "water_l_per_min")
    DOCK_ID_FIELD_NUMBER: _ClassVar[int]
    X_M_FIELD_NUMBER: _ClassVar[int]
    Y_M_FIELD_NUMBER: _ClassVar[int]
    POWER_KW_FIELD_NUMBER: _ClassVar[int]
    AIR_NL_PER_MIN_FIELD_NUMBER: _ClassVar[int]
    WATER_L_PER_MIN_FIELD_NUMBER: _ClassVar[int]
    dock_id: str
    x_m: float
    y_m: float
    power_kw: float
    air_nl_per_min: float
    water_l_per_min: float
    def __init__(self, dock_id: _Optional[str] = ..., x_m: _Optional[float] = ..., y_m: _Optional[float] = ..., power_kw: _Optional[float] = ..., air_nl_per_min: _Optional[float] = ..., water_l_per_min: _Optional[float] = ...) -> None: ...

class TransportLink(_message.Message):
    __slots__ = ("from_dock_id", "to_dock_id", "seconds")
    FROM_DOCK_ID_FIELD_NUMBER: _ClassVar[int]
    TO_DOCK_ID_FIELD_NUMBER: _ClassVar[int]
    SECONDS_FIELD_NUMBER: _ClassVar[int]
    from_dock_id: str
    to_dock_id: str
    seconds: float
    def __init__(self, from_dock_id: _Optional[str] = ..., to_dock_id: _Optional[str] = ..., seconds: _Optional[float] = ...) -> None: ...

class FactoryLayout(_message.Message):
    __slots__ = ("name", "docks", "links")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DOCKS_FIELD_NUMBER: _ClassVar[int]
    LINKS_FIELD_NUMBER: _ClassVar[int]
    name: str
    docks: _containers.RepeatedCompositeFieldContainer[Dock]
    links: _containers.RepeatedCompositeFieldContainer[TransportLink]
    def __init__(self, name: _Optional[str] = ..., docks: _Optional[_Iterable[_Union[Dock, _Mapping]]] = ..., links: _Optional[_Iterable[_Union[TransportLink, _Mapping]]] = ...) -> None: ...
