"""IngestService over gRPC: proto in -> Ingestor -> proto out."""

import grpc

from cdp.common.v1 import common_pb2
from cdp.ingest.v1 import ingest_pb2, ingest_pb2_grpc
from services.common.grpc_server import rpc, workspace_of
from services.common.structs import struct_to_dict
from services.ingest.ingestion import Ingestor
from services.ingest.messages import RawMessage


def raw_message(message: common_pb2.Message) -> RawMessage:
    return RawMessage(
        type=message.type,
        message_id=message.message_id,
        user_id=message.user_id,
        anonymous_id=message.anonymous_id,
        event=message.event,
        name=message.name,
        properties=struct_to_dict(message.properties),
        traits=struct_to_dict(message.traits),
        context=struct_to_dict(message.context),
        timestamp=message.timestamp,
        sent_at=message.sent_at,
        original_timestamp=message.original_timestamp,
        group_id=message.group_id,
        previous_id=message.previous_id,
    )


class IngestServicer(ingest_pb2_grpc.IngestServiceServicer):
    def __init__(self, ingestor: Ingestor) -> None:
        self.ingestor = ingestor

    @rpc
    async def Ingest(
        self, request: ingest_pb2.IngestRequest, context: grpc.aio.ServicerContext
    ) -> ingest_pb2.IngestResponse:
        results = await self.ingestor.ingest(workspace_of(context), [raw_message(m) for m in request.messages])
        return ingest_pb2.IngestResponse(
            results=[
                ingest_pb2.MessageResult(
                    index=i,
                    accepted=r.accepted,
                    event_id=r.event_id,
                    message_id=r.message_id,
                    profile_id=r.profile_id,
                    duplicate=r.duplicate,
                    error=r.error,
                )
                for i, r in enumerate(results)
            ]
        )
