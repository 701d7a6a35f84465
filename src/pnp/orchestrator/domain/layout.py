"""The factory layout (design 4.4): docks, what each can supply, and how far apart they are.

A dock is a floor position with utility limits (power, compressed air, water); the
registry refuses a module whose needs exceed its dock's limits. Transport links are
undirected and carry the seconds it takes to move material between two docks; the
planner asks ``transport_seconds`` for the shortest route between any two docks.

Read with ``load_layout`` / ``load_layout_file``; errors come out as ``file:line``
violations exactly like recipe errors (the same ``recipe_loader.load_model``).
"""

from __future__ import annotations

import difflib
import ipaddress
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Literal

import networkx as nx
from pydantic import AfterValidator, Field, PrivateAttr, StrictInt, StrictStr, model_validator

from pnp.orchestrator.domain.recipe_loader import load_model
from pnp.orchestrator.domain.recipes import (
    InputModel,
    LabelKey,
    NameFormat,
    ObjectName,
    Problem,
    semantic_error,
)
from pnp.orchestrator.domain.yaml_source import DEFAULT_MAX_BYTES, read_text_capped
from pnp.orchestrator.errors import NotFound

MAX_LAYOUT_BYTES = DEFAULT_MAX_BYTES

Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]
Amount = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=0)]
DockId = Annotated[
    StrictStr,
    NameFormat(
        "dock id",
        r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$",
        "use letters, digits, '-' and '_' (at most 32), starting with a letter or digit",
        max_length=32,
    ),
]


class Position(InputModel):
    x_m: Number
    y_m: Number


class DockLimits(InputModel):
    """What a dock can supply; a module needing more is refused on it."""

    power_kw: Amount
    air_nl_per_min: Amount = 0.0
    water_l_per_min: Amount = 0.0


def _cidr(text: str) -> str:
    try:
        return str(ipaddress.ip_network(text, strict=False))
    except ValueError:
        raise ValueError(f"{text!r} is not a CIDR network (e.g. 10.20.1.0/24)") from None


Cidr = Annotated[StrictStr, Field(max_length=64), AfterValidator(_cidr)]


class Dock(InputModel):
    id: DockId
    position: Position
    limits: DockLimits
    # The network segment a module on this dock answers from (its OPC UA endpoint must
    # resolve into it); unset: anywhere in the allowed module networks.
    network: Cidr | None = None

    @property
    def segment(self) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
        return None if self.network is None else ipaddress.ip_network(self.network)


class TransportLink(InputModel):
    """Material moves both ways between ``from`` and ``to`` in ``seconds``."""

    from_: DockId = Field(alias="from")
    to: DockId
    seconds: StrictInt = Field(ge=0, le=86_400)


class LayoutMetadata(InputModel):
    name: ObjectName
    labels: dict[LabelKey, StrictStr] = Field(default_factory=dict, max_length=20)


class LayoutSpec(InputModel):
    docks: list[Dock] = Field(min_length=1, max_length=1000)
    links: list[TransportLink] = Field(default_factory=list, max_length=10_000)
    # Where module endpoints may live on this floor (replaces the default loopback and
    # private ranges; `pnp serve --module-networks` overrides both).
    module_networks: list[Cidr] | None = Field(default=None, min_length=1, max_length=256)

    @model_validator(mode="after")
    def _check_docks_and_links(self) -> LayoutSpec:
        problems = layout_problems(self.docks, self.links)
        if problems:
            raise semantic_error(problems)
        return self


class Layout(InputModel):
    """A factory floor: its docks and the transport links between them."""

    api_version: Literal["pnp/v1"] = Field(alias="apiVersion")
    kind: Literal["Layout"]
    metadata: LayoutMetadata
    spec: LayoutSpec

    # All-pairs shortest transport times, computed on first use.
    _seconds: dict[str, dict[str, int]] | None = PrivateAttr(default=None)

    @property
    def dock_ids(self) -> list[str]:
        return [dock.id for dock in self.spec.docks]

    def dock(self, dock_id: str) -> Dock:
        """The dock named ``dock_id``, or ``NotFound`` naming the docks there are."""
        for dock in self.spec.docks:
            if dock.id == dock_id:
                return dock
        raise NotFound(
            f"no dock {dock_id!r} in layout {self.metadata.name}; "
            f"known docks: {', '.join(self.dock_ids)}"
        )

    def transport_seconds(self, a: str, b: str) -> int:
        """Seconds to move material from dock ``a`` to dock ``b`` by the fastest route."""
        self.dock(a)
        self.dock(b)
        if a == b:
            return 0
        if self._seconds is None:
            graph = _link_graph(self.spec.docks, self.spec.links)
            lengths = nx.all_pairs_dijkstra_path_length(graph, weight="seconds")
            # Sums of integer link times (networkx types path lengths as float).
            self._seconds = {
                source: {target: int(seconds) for target, seconds in targets.items()}
                for source, targets in lengths
            }
        return self._seconds[a][b]


def load_layout(text: str, source: str) -> Layout:
    """Parse and check one layout; ``source`` names it in messages (a file name)."""
    return load_model(text, source, Layout, what="layout", max_bytes=MAX_LAYOUT_BYTES)


def load_layout_file(path: str | Path) -> Layout:
    """Read and check a layout file; messages name the path as given."""
    return load_layout(read_text_capped(Path(path), MAX_LAYOUT_BYTES), str(path))


def layout_problems(docks: Sequence[Dock], links: Sequence[TransportLink]) -> list[Problem]:
    """Rules across docks and links: unique docks, known ends, no repeats, connected."""
    problems: list[Problem] = []
    first_index: dict[str, int] = {}
    for index, dock in enumerate(docks):
        if dock.id in first_index:
            problems.append(
                (
                    ("docks", index, "id"),
                    f"duplicate dock id {dock.id!r} (also docks[{first_index[dock.id]}])",
                )
            )
        else:
            first_index.setdefault(dock.id, index)
    known = list(first_index)
    seen: dict[frozenset[str], int] = {}
    for index, link in enumerate(links):
        ends = [("from", link.from_), ("to", link.to)]
        unknown = [(key, end) for key, end in ends if end not in first_index]
        for key, end in unknown:
            problems.append((("links", index, key), _unknown_dock(end, known)))
        if unknown:
            continue
        if link.from_ == link.to:
            problems.append((("links", index), f"link from dock {link.from_} to itself"))
            continue
        pair = frozenset((link.from_, link.to))
        if pair in seen:
            problems.append(
                (
                    ("links", index),
                    f"duplicate link between {link.from_} and {link.to} (also links[{seen[pair]}])",
                )
            )
        seen.setdefault(pair, index)
    if not problems:
        problems.extend(_unreachable_problems(docks, links))
    return problems


def _unknown_dock(dock_id: str, known: list[str]) -> str:
    message = f"link names unknown dock {dock_id!r}"
    close = difflib.get_close_matches(dock_id, known, n=1)
    if close:
        return f"{message}; did you mean {close[0]!r}?"
    shown = ", ".join(known[:10]) + (", ..." if len(known) > 10 else "")
    return f"{message} (docks: {shown})"


def _link_graph(docks: Sequence[Dock], links: Sequence[TransportLink]) -> nx.Graph[str]:
    graph: nx.Graph[str] = nx.Graph()
    graph.add_nodes_from(dock.id for dock in docks)
    graph.add_edges_from((link.from_, link.to, {"seconds": link.seconds}) for link in links)
    return graph


def _unreachable_problems(docks: Sequence[Dock], links: Sequence[TransportLink]) -> list[Problem]:
    graph = _link_graph(docks, links)
    position = {dock.id: index for index, dock in enumerate(docks)}
    groups = sorted(
        (sorted(group, key=position.__getitem__) for group in nx.connected_components(graph)),
        key=lambda group: position[group[0]],
    )
    # Everything is measured from the first dock's group; each other group is cut off.
    origin = docks[0].id
    problems: list[Problem] = []
    for group in groups[1:]:
        what = f"dock {group[0]}" if len(group) == 1 else f"docks {', '.join(group)}"
        problems.append(
            (
                ("docks", position[group[0]], "id"),
                f"{what} cannot be reached from {origin}: add a transport link",
            )
        )
    return problems
