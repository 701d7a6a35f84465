"""Usage terms on an order's data package, in the spirit of the Industrial Data Space's
usage policies: what the data may be used for, by whom, and until when.

The factory signs the terms together with the package (``twin.signing``, kind
``order-package``), so neither can be changed without the signature failing. The
recipient checks them with ``pnp order verify``: an expired package, or one addressed to
someone else, is refused with the term that fails.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pnp.orchestrator.errors import BadInput, PermissionDenied, Violation
from pnp.orchestrator.twin.signing import Verified

ORDER_PACKAGE_KIND = "order-package"


class UsageTerms(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    purpose: str = Field(min_length=1, max_length=500)
    recipient: str = Field(min_length=1, max_length=500)
    expires_at: datetime


def signed_content(package: dict[str, Any], terms: UsageTerms) -> dict[str, Any]:
    return {"terms": terms.model_dump(mode="json"), "package": package}


def terms_of(verified: Verified) -> UsageTerms:
    try:
        return UsageTerms.model_validate(verified.content.get("terms"))
    except ValidationError as error:
        raise BadInput(
            "the package's usage terms are malformed",
            [Violation(f"terms.{'.'.join(map(str, e['loc']))}", e["msg"]) for e in error.errors()],
        ) from None


def check_terms(
    terms: UsageTerms, now: datetime, recipient: str | None = None, purpose: str | None = None
) -> None:
    """Refuses use past expiry, by another recipient, or for another purpose."""
    if now >= terms.expires_at:
        raise PermissionDenied(
            f"the terms expired at {terms.expires_at.isoformat()}: the data may no longer be used"
        )
    if recipient is not None and recipient != terms.recipient:
        raise PermissionDenied(
            f"the package is addressed to {terms.recipient!r}, not {recipient!r}"
        )
    if purpose is not None and purpose != terms.purpose:
        raise PermissionDenied(f"the package may be used for {terms.purpose!r}, not {purpose!r}")
