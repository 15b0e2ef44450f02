"""`python -m services.ingest`: run the ingest service (settings from CDP_INGEST_* and MONGODB_URI)."""

from cdp.ingest.v1 import ingest_pb2, ingest_pb2_grpc
from services.common.grpc_server import Registration, run_service
from services.common.store import DUE, EVENTS, IDENTITIES, PROFILES, Store
from services.ingest.ingestion import Ingestor
from services.ingest.servicer import IngestServicer
from services.ingest.settings import IngestSettings


def build(store: Store) -> tuple[list[Registration], list]:
    servicer = IngestServicer(Ingestor(store))
    name = ingest_pb2.DESCRIPTOR.services_by_name["IngestService"].full_name
    return [Registration(name, servicer, ingest_pb2_grpc.add_IngestServiceServicer_to_server)], []


if __name__ == "__main__":
    run_service("ingest", IngestSettings(), owns=(EVENTS, PROFILES, IDENTITIES, DUE), build=build)
