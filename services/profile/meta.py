"""A profile's metadata: its traits and read model, plus when it was created and what it did first and last."""

from dataclasses import dataclass, field
from datetime import datetime

from services.profile.events import Events, EventView
from services.profile.profiles import Profiles, ProfileView


@dataclass(frozen=True)
class MetaView:
    profile: ProfileView
    first_events: dict[str, EventView] = field(default_factory=dict)  # action -> its first event
    last_events: dict[str, EventView] = field(default_factory=dict)  # action -> its last event

    @property
    def last_activity_time(self) -> datetime | None:
        """When the person last did anything we recorded: the latest event's timestamp."""
        return max((event.timestamp for event in self.last_events.values()), default=None)


class Meta:
    def __init__(self, profiles: Profiles, events: Events) -> None:
        self.profiles = profiles
        self.events = events

    async def read(self, workspace: str, identifier: str) -> list[MetaView]:
        docs = await self.profiles.resolve(workspace, identifier)
        views = await self.profiles.views(workspace, docs)
        ends = await self.events.firsts_and_lasts(workspace, docs)
        return [MetaView(view, *ends[view.id]) for view in views]
