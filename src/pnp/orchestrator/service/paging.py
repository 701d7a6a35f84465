"""What every paged List call shares (``order_pages``, ``attempt_pages``): the page size
a request asks for, and page tokens, which are opaque to clients (URL-safe base64 of a
prefix naming the list and the key the next page starts below)."""

from __future__ import annotations

import base64
import binascii

from pnp.orchestrator.errors import BadInput, Violation

DEFAULT_PAGE_SIZE = 100  # a page_token without a page_size
MAX_PAGE_SIZE = 1000  # larger page sizes are served as this


def requested_size(page_size: int, page_token: str) -> int | None:
    """How many a request asks for (None: neither a size nor a token, i.e. unpaged);
    ``BadInput`` for a negative size."""
    if page_size < 0:
        raise BadInput(
            f"page_size {page_size} is negative",
            [Violation("page_size", "must be 0 (the default) or more")],
        )
    if not page_token:
        return min(page_size, MAX_PAGE_SIZE) if page_size else None
    return min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


def write_token(prefix: str, key: str) -> str:
    return base64.urlsafe_b64encode(f"{prefix}{key}".encode()).decode()


def token_key(prefix: str, token: str) -> str | None:
    """The key a token of this list holds; None when it is not one (the caller says
    ``not_our_token``, having checked the key itself too)."""
    try:
        text = base64.urlsafe_b64decode(token.encode("ascii")).decode()
    except (binascii.Error, UnicodeError, ValueError):
        return None
    return text.removeprefix(prefix) if text.startswith(prefix) else None


def not_our_token(token: str) -> BadInput:
    return BadInput(
        f"page_token {token!r} is not one this server gave",
        [Violation("page_token", "send back a next_page_token as it came, or none")],
    )
