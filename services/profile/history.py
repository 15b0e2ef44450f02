"""Membership history: the audiences a profile entered and exited, newest first, from `membership_log`.

The segmentation service writes one entry per change, with the audience's name at the time; this reads them in
`(at, _id)` order, descending (several changes of one evaluation share their `at`).
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.common.cursors import encode_cursor
from services.common.store import Store
from services.profile.paging import TimePosition, resume_scroll, resumed_size, time_page
from services.profile.profiles import Profiles, identifier_key

DEFAULT_SIZE = 10


@dataclass(frozen=True)
class MembershipChangeView:
    profile_id: str
    audience_id: str
    audience: str  # the audience's name when the change happened
    change: str  # "entered" or "exited"
    at: datetime
    reason: str


class History:
    def __init__(self, store: Store, profiles: Profiles) -> None:
        self.store = store
        self.profiles = profiles

    async def page(self, workspace: str, identifier: str, size: int,
                   scroll_id: str) -> tuple[list[MembershipChangeView], str]:
        """A page of the changes of every profile the identifier names, newest first, and the next page's scroll id
        ("" at the end)."""
        bound = identifier_key(identifier)
        state = resume_scroll("history", scroll_id, bound)
        after = TimePosition.from_state(state.get("after")) if state is not None else None
        size = resumed_size(size, state, DEFAULT_SIZE)
        owners = [doc["_id"] for doc in await self.profiles.resolve(workspace, identifier)]
        docs, last = await time_page(self.store.membership_log,
                                     [{"workspace": workspace, "profile_id": {"$in": owners}}],
                                     "at", True, size, after)
        scroll = encode_cursor("history", {"profile": bound, "after": last.to_state(), "size": size}) if last else ""
        return [_change(doc) for doc in docs], scroll


def _change(doc: dict[str, Any]) -> MembershipChangeView:
    return MembershipChangeView(profile_id=doc["profile_id"], audience_id=doc.get("audience_id", ""),
                                audience=doc.get("audience", ""), change=doc["change"], at=doc["at"],
                                reason=doc.get("reason", ""))
