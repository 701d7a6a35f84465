"""The example recipes (``orders/``) and the demo factory's layout (``layouts/``).

Shipped as package data so that ``pnp demo`` runs from any directory after a plain
install; ``pnp recipe examples DIR`` copies them out for a user to edit. In a clone,
the top-level ``recipes`` folder is a link to this one.
"""

from pathlib import Path

EXAMPLES_DIR = Path(__file__).resolve().parent
"""The folder holding ``orders/*.yaml`` and ``layouts/demo-factory.yaml``."""

__all__ = ["EXAMPLES_DIR"]
