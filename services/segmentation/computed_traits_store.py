"""Computed-trait definitions in the store. The values themselves are the engine's (computed.py, profile_state)."""

from typing import Any, ClassVar, Protocol

from services.common.clock import Clock, utc_now
from services.common.store import Store
from services.segmentation.definition_store import BackfillQueue, Definitions, Kind
from services.segmentation.definitions import check_computed_trait

PREVIEW_SAMPLE = 10


class TraitEngine(Protocol):
    """What computed traits need of the evaluation engine (engine.Engine)."""

    async def preview_trait(self, workspace: str, trait: dict[str, Any],
                            sample: int = 10) -> tuple[int, list[tuple[str, Any]]]: ...


class ComputedTraits(Definitions):
    kind: ClassVar[Kind] = "computed_trait"
    label: ClassVar[str] = "computed trait"

    def __init__(self, store: Store, backfills: BackfillQueue, engine: TraitEngine, clock: Clock = utc_now) -> None:
        super().__init__(store, backfills, clock)
        self.engine = engine

    async def checked(self, workspace: str, definition: dict[str, Any], own_id: str | None) -> dict[str, Any]:
        # A computed trait refers to nothing but events, so it needs nothing of the workspace to be checked.
        return check_computed_trait(definition)

    async def preview(self, workspace: str, definition: dict[str, Any]) -> tuple[int, list[tuple[str, Any]]]:
        """How many profiles an unsaved computed trait gives a value now, and some (profile id, value) pairs. A draft
        needs no name."""
        return await self.engine.preview_trait(workspace, check_computed_trait(definition, require_name=False),
                                               PREVIEW_SAMPLE)
