"""`python -m services.profile`: run the profile service (settings from CDP_PROFILE_* and MONGODB_URI)."""

from cdp.profile.v1 import profile_pb2, profile_pb2_grpc
from services.common.grpc_server import Registration, run_service
from services.common.store import Store
from services.profile.profiles import Profiles
from services.profile.servicer import ProfileServicer
from services.profile.settings import ProfileSettings


def build(store: Store) -> tuple[list[Registration], list]:
    servicer = ProfileServicer(Profiles(store))
    name = profile_pb2.DESCRIPTOR.services_by_name["ProfileService"].full_name
    return [Registration(name, servicer, profile_pb2_grpc.add_ProfileServiceServicer_to_server)], []


if __name__ == "__main__":
    # The profile service writes nothing, so it owns no collection's indexes.
    run_service("profile", ProfileSettings(), owns=(), build=build)
