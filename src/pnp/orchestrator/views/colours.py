"""One fixed colour per order, the same in every picture and every run.

The colour comes from a hash of the order id (not from the order's position in a
list), so order 7 keeps its colour when order 3 completes and leaves the plan.
"""

from __future__ import annotations

import hashlib

# Tableau 20 without its greys: distinct on white and for most colour-blind readers in pairs.
PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#bcbd22",
    "#17becf",
    "#aec7e8",
    "#ffbb78",
    "#98df8a",
    "#ff9896",
    "#c5b0d5",
    "#c49c94",
    "#f7b6d2",
    "#dbdb8d",
    "#9edae5",
)

# What marks trouble in every picture: failed attempts get this outline and hatching.
FAILED_EDGE = "#d00000"
RUNNING_EDGE = "#000000"


def order_colour(order_id: str) -> str:
    digest = hashlib.sha256(order_id.encode("utf-8")).digest()
    return PALETTE[int.from_bytes(digest[:4], "big") % len(PALETTE)]
