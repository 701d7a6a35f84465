"""pnp.v1.Orchestrator: what planners and the CLI call."""

from __future__ import annotations

from pnp.orchestrator.api import convert
from pnp.orchestrator.api.endpoint_guard import EndpointGuard
from pnp.orchestrator.api.layout_convert import layout_to_proto
from pnp.orchestrator.api.status import maps_errors
from pnp.orchestrator.errors import BadInput, Violation
from pnp.orchestrator.security.limits import MAX_WHAT_IF_CHANGES
from pnp.orchestrator.service.attempt_pages import AttemptPage
from pnp.orchestrator.service.factory import Factory
from pnp.orchestrator.service.order_pages import OrderPage
from pnp.orchestrator.store.database import StoredOrder
from pnp.v1 import orchestrator_pb2, orchestrator_pb2_grpc


class OrchestratorServicer(orchestrator_pb2_grpc.OrchestratorServicer):
    def __init__(self, factory: Factory, endpoint_guard: EndpointGuard) -> None:
        self.factory = factory
        self.endpoints = endpoint_guard

    @maps_errors
    async def SubmitOrder(self, request, context):
        view = await self.factory.submit_order(
            request.recipe_yaml, request.source, request.request_id
        )
        return orchestrator_pb2.SubmitOrderResponse(order=convert.order_to_proto(view))

    @maps_errors
    async def GetOrder(self, request, context):
        _require("order_id", request.order_id)
        view = await self.factory.order_view(request.order_id)
        return orchestrator_pb2.GetOrderResponse(
            order=convert.order_to_proto(view),
            line_graph=convert.line_graph_to_proto(view.line_graph),
        )

    @maps_errors
    async def ListOrders(self, request, context):
        page = OrderPage.of_request(request.page_size, request.page_token)
        next_token = ""

        def chosen() -> list[StoredOrder]:  # in the factory's worker thread
            nonlocal next_token
            orders, next_token = page.select(self.factory.store)
            return orders

        views = await self.factory.order_views(chosen)
        return orchestrator_pb2.ListOrdersResponse(
            orders=[convert.order_to_proto(v) for v in views], next_page_token=next_token
        )

    @maps_errors
    async def CancelOrder(self, request, context):
        _require("order_id", request.order_id)
        view = await self.factory.cancel_order(request.order_id)
        return orchestrator_pb2.CancelOrderResponse(order=convert.order_to_proto(view))

    @maps_errors
    async def ListModules(self, request, context):
        return orchestrator_pb2.ListModulesResponse(
            modules=[convert.module_to_proto(v) for v in self.factory.modules()],
            factory_time=convert.timestamp(self.factory.clock.now()),
        )

    @maps_errors
    async def GetModule(self, request, context):
        _require("module_id", request.module_id)
        return orchestrator_pb2.GetModuleResponse(
            module=convert.module_to_proto(self.factory.module(request.module_id))
        )

    @maps_errors
    async def DrainModule(self, request, context):
        _require("module_id", request.module_id)
        view = await self.factory.drain_module(request.module_id)
        return orchestrator_pb2.DrainModuleResponse(module=convert.module_to_proto(view))

    @maps_errors
    async def WhatIf(self, request, context):
        changes = (
            len(request.without_module_ids)
            + len(request.with_modules)
            + len(request.with_descriptors)
        )
        if changes > MAX_WHAT_IF_CHANGES:  # counted before any descriptor is converted
            raise BadInput(
                "too many changes for one what-if",
                [
                    Violation(
                        "with_descriptors", f"{changes} changes; at most {MAX_WHAT_IF_CHANGES}"
                    )
                ],
            )
        current, alternative, current_kpis, alternative_kpis = await self.factory.what_if(
            list(request.without_module_ids),
            list(request.with_modules),
            # Addresses from outside get the registry's checks, though what-if never connects.
            [
                await self.endpoints.check(convert.description_from_proto(d), self.factory.layout)
                for d in request.with_descriptors
            ],
        )
        return orchestrator_pb2.WhatIfResponse(
            current=convert.plan_to_proto(current),
            alternative=convert.plan_to_proto(alternative),
            current_kpis=convert.kpis_to_proto(current_kpis),
            alternative_kpis=convert.kpis_to_proto(alternative_kpis),
        )

    @maps_errors
    async def WatchEvents(self, request, context):
        after = request.after_sequence
        if not after and request.tail:  # only the latest events, not the whole log
            after = max(0, self.factory.events.last_sequence - request.tail)
        async for event in self.factory.events.watch(after, follow=True):
            yield orchestrator_pb2.WatchEventsResponse(event=convert.event_to_proto(event))

    @maps_errors
    async def ListAttempts(self, request, context):
        page = AttemptPage.of_request(request.page_size, request.page_token)
        attempts, next_token = await self.factory.attempts_page(
            page, request.order_id, request.module_id
        )
        return orchestrator_pb2.ListAttemptsResponse(
            attempts=[convert.attempt_to_proto(a) for a in attempts],
            factory_time=convert.timestamp(self.factory.clock.now()),
            next_page_token=next_token,
        )

    @maps_errors
    async def GetLayout(self, request, context):
        layout = self.factory.layout
        if layout is None:  # an open floor: no docks to draw
            return orchestrator_pb2.GetLayoutResponse()
        return orchestrator_pb2.GetLayoutResponse(layout=layout_to_proto(layout))

    @maps_errors
    async def GetPlan(self, request, context):
        plan = await self.factory.plan(wait_for_current=request.wait_for_current)
        return orchestrator_pb2.GetPlanResponse(plan=convert.plan_to_proto(plan))

    @maps_errors
    async def ExportOrderData(self, request, context):
        _require("order_id", request.order_id)
        package = await self.factory.export_order(request.order_id)
        return orchestrator_pb2.ExportOrderDataResponse(package_json=package.model_dump_json())


def _require(field: str, value: str) -> None:
    if not value:
        raise BadInput(f"{field} is required", [Violation(field, "must not be empty")])
