import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from pnp.v1 import attempt_pb2 as _attempt_pb2
from pnp.v1 import event_pb2 as _event_pb2
from pnp.v1 import layout_pb2 as _layout_pb2
from pnp.v1 import module_pb2 as _module_pb2
from pnp.v1 import order_pb2 as _order_pb2
from pnp.v1 import plan_pb2 as _plan_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SubmitOrderRequest(_message.Message):
    __slots__ = ("recipe_yaml", "source", "request_id")
    RECIPE_YAML_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    recipe_yaml: str
    source: str
    request_id: str
    def __init__(self, recipe_yaml: _Optional[str] = ..., source: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class SubmitOrderResponse(_message.Message):
    __slots__ = ("order",)
    ORDER_FIELD_NUMBER: _ClassVar[int]
    order: _order_pb2.Order
    def __init__(self, order: _Optional[_Union[_order_pb2.Order, _Mapping]] = ...) -> None: ...

class GetOrderRequest(_message.Message):
    __slots__ = ("order_id",)
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    def __init__(self, order_id: _Optional[str] = ...) -> None: ...

class GetOrderResponse(_message.Message):
    __slots__ = ("order", "line_graph")
    ORDER_FIELD_NUMBER: _ClassVar[int]
    LINE_GRAPH_FIELD_NUMBER: _ClassVar[int]
    order: _order_pb2.Order
    line_graph: _plan_pb2.LineGraph
    def __init__(self, order: _Optional[_Union[_order_pb2.Order, _Mapping]] = ..., line_graph: _Optional[_Union[_plan_pb2.LineGraph, _Mapping]] = ...) -> None: ...

class ListOrdersRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListOrdersResponse(_message.Message):
    __slots__ = ("orders", "next_page_token")
    ORDERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    orders: _containers.RepeatedCompositeFieldContainer[_order_pb2.Order]
    next_page_token: str
    def __init__(self, orders: _Optional[_Iterable[_Union[_order_pb2.Order, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class CancelOrderRequest(_message.Message):
    __slots__ = ("order_id", "request_id")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    request_id: str
    def __init__(self, order_id: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class CancelOrderResponse(_message.Message):
    __slots__ = ("order",)
    ORDER_FIELD_NUMBER: _ClassVar[int]
    order: _order_pb2.Order
    def __init__(self, order: _Optional[_Union[_order_pb2.Order, _Mapping]] = ...) -> None: ...

class ListModulesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListModulesResponse(_message.Message):
    __slots__ = ("modules", "factory_time")
    MODULES_FIELD_NUMBER: _ClassVar[int]
    FACTORY_TIME_FIELD_NUMBER: _ClassVar[int]
    modules: _containers.RepeatedCompositeFieldContainer[_module_pb2.Module]
    factory_time: _timestamp_pb2.Timestamp
    def __init__(self, modules: _Optional[_Iterable[_Union[_module_pb2.Module, _Mapping]]] = ..., factory_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetModuleRequest(_message.Message):
    __slots__ = ("module_id",)
    MODULE_ID_FIELD_NUMBER: _ClassVar[int]
    module_id: str
    def __init__(self, module_id: _Optional[str] = ...) -> None: ...

class GetModuleResponse(_message.Message):
    __slots__ = ("module",)
    MODULE_FIELD_NUMBER: _ClassVar[int]
    module: _module_pb2.Module
    def __init__(self, module: _Optional[_Union[_module_pb2.Module, _Mapping]] = ...) -> None: ...

class DrainModuleRequest(_message.Message):
    __slots__ = ("module_id", "request_id")
    MODULE_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    module_id: str
    request_id: str
    def __init__(self, module_id: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class DrainModuleResponse(_message.Message):
    __slots__ = ("module",)
    MODULE_FIELD_NUMBER: _ClassVar[int]
    module: _module_pb2.Module
    def __init__(self, module: _Optional[_Union[_module_pb2.Module, _Mapping]] = ...) -> None: ...

class GetPlanRequest(_message.Message):
    __slots__ = ("wait_for_current",)
    WAIT_FOR_CURRENT_FIELD_NUMBER: _ClassVar[int]
    wait_for_current: bool
    def __init__(self, wait_for_current: _Optional[bool] = ...) -> None: ...

class GetPlanResponse(_message.Message):
    __slots__ = ("plan",)
    PLAN_FIELD_NUMBER: _ClassVar[int]
    plan: _plan_pb2.Plan
    def __init__(self, plan: _Optional[_Union[_plan_pb2.Plan, _Mapping]] = ...) -> None: ...

class WhatIfRequest(_message.Message):
    __slots__ = ("without_module_ids", "with_modules", "with_descriptors")
    WITHOUT_MODULE_IDS_FIELD_NUMBER: _ClassVar[int]
    WITH_MODULES_FIELD_NUMBER: _ClassVar[int]
    WITH_DESCRIPTORS_FIELD_NUMBER: _ClassVar[int]
    without_module_ids: _containers.RepeatedScalarFieldContainer[str]
    with_modules: _containers.RepeatedScalarFieldContainer[str]
    with_descriptors: _containers.RepeatedCompositeFieldContainer[_module_pb2.ModuleDescriptor]
    def __init__(self, without_module_ids: _Optional[_Iterable[str]] = ..., with_modules: _Optional[_Iterable[str]] = ..., with_descriptors: _Optional[_Iterable[_Union[_module_pb2.ModuleDescriptor, _Mapping]]] = ...) -> None: ...

class PlanKpis(_message.Message):
    __slots__ = ("orders_planned", "orders_on_time", "orders_unplanned", "weighted_tardiness_seconds", "makespan_seconds")
    ORDERS_PLANNED_FIELD_NUMBER: _ClassVar[int]
    ORDERS_ON_TIME_FIELD_NUMBER: _ClassVar[int]
    ORDERS_UNPLANNED_FIELD_NUMBER: _ClassVar[int]
    WEIGHTED_TARDINESS_SECONDS_FIELD_NUMBER: _ClassVar[int]
    MAKESPAN_SECONDS_FIELD_NUMBER: _ClassVar[int]
    orders_planned: int
    orders_on_time: int
    orders_unplanned: int
    weighted_tardiness_seconds: float
    makespan_seconds: float
    def __init__(self, orders_planned: _Optional[int] = ..., orders_on_time: _Optional[int] = ..., orders_unplanned: _Optional[int] = ..., weighted_tardiness_seconds: _Optional[float] = ..., makespan_seconds: _Optional[float] = ...) -> None: ...

class WhatIfResponse(_message.Message):
    __slots__ = ("current", "alternative", "current_kpis", "alternative_kpis")
    CURRENT_FIELD_NUMBER: _ClassVar[int]
    ALTERNATIVE_FIELD_NUMBER: _ClassVar[int]
    CURRENT_KPIS_FIELD_NUMBER: _ClassVar[int]
    ALTERNATIVE_KPIS_FIELD_NUMBER: _ClassVar[int]
    current: _plan_pb2.Plan
    alternative: _plan_pb2.Plan
    current_kpis: PlanKpis
    alternative_kpis: PlanKpis
    def __init__(self, current: _Optional[_Union[_plan_pb2.Plan, _Mapping]] = ..., alternative: _Optional[_Union[_plan_pb2.Plan, _Mapping]] = ..., current_kpis: _Optional[_Union[PlanKpis, _Mapping]] = ..., alternative_kpis: _Optional[_Union[PlanKpis, _Mapping]] = ...) -> None: ...

class WatchEventsRequest(_message.Message):
    __slots__ = ("after_sequence", "tail")
    AFTER_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    TAIL_FIELD_NUMBER: _ClassVar[int]
    after_sequence: int
    tail: int
    def __init__(self, after_sequence: _Optional[int] = ..., tail: _Optional[int] = ...) -> None: ...

class WatchEventsResponse(_message.Message):
    __slots__ = ("event",)
    EVENT_FIELD_NUMBER: _ClassVar[int]
    event: _event_pb2.Event
    def __init__(self, event: _Optional[_Union[_event_pb2.Event, _Mapping]] = ...) -> None: ...

class ExportOrderDataRequest(_message.Message):
    __slots__ = ("order_id",)
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    def __init__(self, order_id: _Optional[str] = ...) -> None: ...

class ExportOrderDataResponse(_message.Message):
    __slots__ = ("package_json",)
    PACKAGE_JSON_FIELD_NUMBER: _ClassVar[int]
    package_json: str
    def __init__(self, package_json: _Optional[str] = ...) -> None: ...

class ListAttemptsRequest(_message.Message):
    __slots__ = ("order_id", "page_size", "page_token", "module_id")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    MODULE_ID_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    page_size: int
    page_token: str
    module_id: str
    def __init__(self, order_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., module_id: _Optional[str] = ...) -> None: ...

class ListAttemptsResponse(_message.Message):
    __slots__ = ("attempts", "factory_time", "next_page_token")
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    FACTORY_TIME_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    attempts: _containers.RepeatedCompositeFieldContainer[_attempt_pb2.Attempt]
    factory_time: _timestamp_pb2.Timestamp
    next_page_token: str
    def __init__(self, attempts: _Optional[_Iterable[_Union[_attempt_pb2.Attempt, _Mapping]]] = ..., factory_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetLayoutRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetLayoutResponse(_message.Message):
    __slots__ = ("layout",)
    LAYOUT_FIELD_NUMBER: _ClassVar[int]
    layout: _layout_pb2.FactoryLayout
    def __init__(self, layout: _Optional[_Union[_layout_pb2.FactoryLayout, _Mapping]] = ...) -> None: ...
