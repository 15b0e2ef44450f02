"""`python -m services.segmentation`: run the segmentation service (CDP_SEGMENTATION_* and MONGODB_URI)."""

import os
from datetime import timedelta
import socket
import uuid

from cdp.segmentation.v1 import segmentation_pb2, segmentation_pb2_grpc
from services.common.grpc_server import Background, Registration, run_service
from services.common.store import AUDIENCES, COMPUTED_TRAITS, LEASES, MEMBERSHIP_LOG, PROFILE_STATE, Store
from services.segmentation.audiences import Audiences
from services.segmentation.backfill import BackfillRunner
from services.segmentation.computed_traits_store import ComputedTraits
from services.segmentation.engine import Engine
from services.segmentation.history import Follower
from services.segmentation.leases import Leases
from services.segmentation.scheduler import Jobs
from services.segmentation.servicer import SegmentationServicer
from services.segmentation.settings import SegmentationSettings
from services.segmentation.worker import DueWorker


def build(store: Store, settings: SegmentationSettings) -> tuple[list[Registration], list[Background]]:
    engine = Engine(store)
    backfills = BackfillRunner(
        store,
        engine,
        lease_seconds=settings.backfill_lease_seconds,
        sweep_seconds=settings.backfill_sweep_seconds,
        concurrency=settings.backfill_concurrency,
    )
    # This replica's name in the leases it takes: unique even for replicas on one host.
    owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
    worker = DueWorker(store, owner, batch=settings.claim_batch, lease=timedelta(seconds=settings.claim_lease_seconds))
    jobs = Jobs(store, worker, Leases(store, owner), claim_interval=settings.claim_interval_seconds,
                reconcile_interval=settings.reconcile_interval_seconds, reconcile_sample=settings.reconcile_sample,
                measure_interval=settings.measure_interval_seconds)
    servicer = SegmentationServicer(
        Audiences(store, backfills, engine), ComputedTraits(store, backfills, engine), Follower(store)
    )
    name = segmentation_pb2.DESCRIPTOR.services_by_name["SegmentationService"].full_name
    registration = Registration(name, servicer, segmentation_pb2_grpc.add_SegmentationServiceServicer_to_server)
    return [registration], [backfills, jobs]


if __name__ == "__main__":
    settings = SegmentationSettings()
    run_service("segmentation", settings, owns=(AUDIENCES, COMPUTED_TRAITS, PROFILE_STATE, MEMBERSHIP_LOG, LEASES),
                build=lambda store: build(store, settings))
