"""The simulator's catalog of module kinds (``catalog.yaml`` next to this file)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from pnp.sdk.descriptors import ModuleType

CATALOG_PATH = Path(__file__).with_name("catalog.yaml")


class UnknownKind(LookupError):
    """No module kind of that name in the catalog."""


class Catalog(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    api_version: str = Field(alias="apiVersion", pattern=r"^pnp/v1$")
    kind: str = Field(pattern=r"^ModuleCatalog$")
    kinds: dict[str, ModuleType]

    def module_type(self, kind: str) -> ModuleType:
        try:
            return self.kinds[kind]
        except KeyError:
            known = ", ".join(sorted(self.kinds))
            raise UnknownKind(f"unknown module kind {kind!r}; the catalog has: {known}") from None


@cache
def load_catalog(path: Path = CATALOG_PATH) -> Catalog:
    # Our own packaged file: safe_load is enough, it is small and trusted.
    return Catalog.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
