"""`python -m services.profile`: run the profile service (settings from CDP_PROFILE_* and MONGODB_URI)."""

from cdp.profile.v1 import profile_pb2, profile_pb2_grpc
from services.common.grpc_server import Registration, run_service
from services.common.store import Store
from services.profile.catalog import Catalog
from services.profile.events import Events
from services.profile.history import History
from services.profile.meta import Meta
from services.profile.names import DefinitionNames
from services.profile.profiles import Profiles
from services.profile.servicer import ProfileServicer
from services.profile.settings import ProfileSettings


def build(store: Store, settings: ProfileSettings) -> tuple[list[Registration], list]:
    profiles = Profiles(store, DefinitionNames(store, settings.name_cache_seconds))
    events = Events(store, profiles)
    servicer = ProfileServicer(profiles, events, Meta(profiles, events), History(store, profiles),
                               Catalog(store, settings.catalog_events))
    name = profile_pb2.DESCRIPTOR.services_by_name["ProfileService"].full_name
    return [Registration(name, servicer, profile_pb2_grpc.add_ProfileServiceServicer_to_server)], []


if __name__ == "__main__":
    # The profile service writes nothing, so it owns no collection's indexes.
    settings = ProfileSettings()
    run_service("profile", settings, owns=(), build=lambda store: build(store, settings))
