"""`python -m services.segmentation`: run the segmentation service (CDP_SEGMENTATION_* and MONGODB_URI)."""

from cdp.segmentation.v1 import segmentation_pb2, segmentation_pb2_grpc
from services.common.grpc_server import Registration, run_service
from services.common.store import AUDIENCES, PROFILE_STATE, Store
from services.segmentation.audiences import Audiences
from services.segmentation.servicer import SegmentationServicer
from services.segmentation.settings import SegmentationSettings


def build(store: Store) -> tuple[list[Registration], list]:
    servicer = SegmentationServicer(Audiences(store))
    name = segmentation_pb2.DESCRIPTOR.services_by_name["SegmentationService"].full_name
    return [Registration(name, servicer, segmentation_pb2_grpc.add_SegmentationServiceServicer_to_server)], []


if __name__ == "__main__":
    run_service("segmentation", SegmentationSettings(), owns=(AUDIENCES, PROFILE_STATE), build=build)
