"""Opaque paging positions: the Profile API's scroll ids and the audience members' cursors.

A cursor is base64url of a small JSON document, opaque to callers. It names the listing it belongs to, so that one
handed to another listing is refused rather than misread, and whatever else the listing binds it to (a profile, an
audience) is checked by the listing.
"""

import base64
import binascii
import json
from typing import Any

from services.common.errors import ValidationError


def encode_cursor(listing: str, state: dict[str, Any]) -> str:
    data = json.dumps({"l": listing, **state}, separators=(",", ":"), sort_keys=True).encode()
    # URL-safe and unpadded: a cursor goes into query strings as is.
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def decode_cursor(listing: str, cursor: str, parameter: str) -> dict[str, Any]:
    """The state a cursor of `listing` carries; ValidationError, naming the request's `parameter`, for anything
    else."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        state = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, UnicodeEncodeError, binascii.Error):
        state = None
    if not isinstance(state, dict) or state.pop("l", None) != listing:
        raise ValidationError(f"{parameter} is not one this listing issued ({listing})")
    return state
