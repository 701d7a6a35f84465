"""The imperative shell: the factory's state behind the API, with its background loops."""

from orchestrator.service.factory import Factory, FactorySettings, ModuleView, OrderView

__all__ = ["Factory", "FactorySettings", "ModuleView", "OrderView"]
