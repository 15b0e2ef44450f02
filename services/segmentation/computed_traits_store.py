"""Computed-trait definitions in the store. The values themselves are the engine's (computed.py, profile_state)."""

from typing import Any, ClassVar

from services.segmentation.definition_store import Definitions, Kind
from services.segmentation.definitions import check_computed_trait


class ComputedTraits(Definitions):
    kind: ClassVar[Kind] = "computed_trait"
    label: ClassVar[str] = "computed trait"

    async def checked(self, workspace: str, definition: dict[str, Any], own_id: str | None) -> dict[str, Any]:
        # A computed trait refers to nothing but events, so it needs nothing of the workspace to be checked.
        return check_computed_trait(definition)
