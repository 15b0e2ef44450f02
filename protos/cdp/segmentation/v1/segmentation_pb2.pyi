import datetime

from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Span(_message.Message):
    __slots__ = ("amount", "unit")
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    amount: int
    unit: str
    def __init__(self, amount: _Optional[int] = ..., unit: _Optional[str] = ...) -> None: ...

class Window(_message.Message):
    __slots__ = ("kind", "last", "to", "start", "end", "at")
    KIND_FIELD_NUMBER: _ClassVar[int]
    LAST_FIELD_NUMBER: _ClassVar[int]
    FROM_FIELD_NUMBER: _ClassVar[int]
    TO_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    kind: str
    last: Span
    to: Span
    start: _timestamp_pb2.Timestamp
    end: _timestamp_pb2.Timestamp
    at: _timestamp_pb2.Timestamp
    def __init__(self, kind: _Optional[str] = ..., last: _Optional[_Union[Span, _Mapping]] = ..., to: _Optional[_Union[Span, _Mapping]] = ..., start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., **kwargs) -> None: ...

class Filter(_message.Message):
    __slots__ = ("property", "op", "value")
    PROPERTY_FIELD_NUMBER: _ClassVar[int]
    OP_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    property: str
    op: str
    value: _struct_pb2.Value
    def __init__(self, property: _Optional[str] = ..., op: _Optional[str] = ..., value: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ...) -> None: ...

class Count(_message.Message):
    __slots__ = ("op", "value")
    OP_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    op: str
    value: int
    def __init__(self, op: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...

class EventCondition(_message.Message):
    __slots__ = ("name", "type", "where", "count", "window")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    WHERE_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    WINDOW_FIELD_NUMBER: _ClassVar[int]
    name: str
    type: str
    where: _containers.RepeatedCompositeFieldContainer[Filter]
    count: Count
    window: Window
    def __init__(self, name: _Optional[str] = ..., type: _Optional[str] = ..., where: _Optional[_Iterable[_Union[Filter, _Mapping]]] = ..., count: _Optional[_Union[Count, _Mapping]] = ..., window: _Optional[_Union[Window, _Mapping]] = ...) -> None: ...

class TraitCondition(_message.Message):
    __slots__ = ("path", "op", "value")
    PATH_FIELD_NUMBER: _ClassVar[int]
    OP_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    path: str
    op: str
    value: _struct_pb2.Value
    def __init__(self, path: _Optional[str] = ..., op: _Optional[str] = ..., value: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ...) -> None: ...

class ComputedTraitCondition(_message.Message):
    __slots__ = ("name", "op", "value")
    NAME_FIELD_NUMBER: _ClassVar[int]
    OP_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    name: str
    op: str
    value: _struct_pb2.Value
    def __init__(self, name: _Optional[str] = ..., op: _Optional[str] = ..., value: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ...) -> None: ...

class AudienceCondition(_message.Message):
    __slots__ = ("name", "member")
    NAME_FIELD_NUMBER: _ClassVar[int]
    MEMBER_FIELD_NUMBER: _ClassVar[int]
    name: str
    member: bool
    def __init__(self, name: _Optional[str] = ..., member: _Optional[bool] = ...) -> None: ...

class GroupCondition(_message.Message):
    __slots__ = ("conditions",)
    CONDITIONS_FIELD_NUMBER: _ClassVar[int]
    conditions: _containers.RepeatedCompositeFieldContainer[Condition]
    def __init__(self, conditions: _Optional[_Iterable[_Union[Condition, _Mapping]]] = ...) -> None: ...

class Condition(_message.Message):
    __slots__ = ("mode", "event", "trait", "computed_trait", "audience", "group")
    MODE_FIELD_NUMBER: _ClassVar[int]
    EVENT_FIELD_NUMBER: _ClassVar[int]
    TRAIT_FIELD_NUMBER: _ClassVar[int]
    COMPUTED_TRAIT_FIELD_NUMBER: _ClassVar[int]
    AUDIENCE_FIELD_NUMBER: _ClassVar[int]
    GROUP_FIELD_NUMBER: _ClassVar[int]
    mode: str
    event: EventCondition
    trait: TraitCondition
    computed_trait: ComputedTraitCondition
    audience: AudienceCondition
    group: GroupCondition
    def __init__(self, mode: _Optional[str] = ..., event: _Optional[_Union[EventCondition, _Mapping]] = ..., trait: _Optional[_Union[TraitCondition, _Mapping]] = ..., computed_trait: _Optional[_Union[ComputedTraitCondition, _Mapping]] = ..., audience: _Optional[_Union[AudienceCondition, _Mapping]] = ..., group: _Optional[_Union[GroupCondition, _Mapping]] = ...) -> None: ...

class DefinitionStatus(_message.Message):
    __slots__ = ("state", "progress", "error", "updated_at")
    STATE_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    state: str
    progress: float
    error: str
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, state: _Optional[str] = ..., progress: _Optional[float] = ..., error: _Optional[str] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Audience(_message.Message):
    __slots__ = ("name", "description", "conditions", "id", "created_at", "updated_at", "status", "version", "size")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    CONDITIONS_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    name: str
    description: str
    conditions: _containers.RepeatedCompositeFieldContainer[Condition]
    id: str
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    status: DefinitionStatus
    version: int
    size: int
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., conditions: _Optional[_Iterable[_Union[Condition, _Mapping]]] = ..., id: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., status: _Optional[_Union[DefinitionStatus, _Mapping]] = ..., version: _Optional[int] = ..., size: _Optional[int] = ...) -> None: ...

class EventFilter(_message.Message):
    __slots__ = ("name", "type", "where")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    WHERE_FIELD_NUMBER: _ClassVar[int]
    name: str
    type: str
    where: _containers.RepeatedCompositeFieldContainer[Filter]
    def __init__(self, name: _Optional[str] = ..., type: _Optional[str] = ..., where: _Optional[_Iterable[_Union[Filter, _Mapping]]] = ...) -> None: ...

class ComputedTrait(_message.Message):
    __slots__ = ("name", "description", "kind", "property", "event", "window", "id", "status", "version", "created_at", "updated_at")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    PROPERTY_FIELD_NUMBER: _ClassVar[int]
    EVENT_FIELD_NUMBER: _ClassVar[int]
    WINDOW_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    name: str
    description: str
    kind: str
    property: str
    event: EventFilter
    window: Window
    id: str
    status: DefinitionStatus
    version: int
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., kind: _Optional[str] = ..., property: _Optional[str] = ..., event: _Optional[_Union[EventFilter, _Mapping]] = ..., window: _Optional[_Union[Window, _Mapping]] = ..., id: _Optional[str] = ..., status: _Optional[_Union[DefinitionStatus, _Mapping]] = ..., version: _Optional[int] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateAudienceRequest(_message.Message):
    __slots__ = ("audience",)
    AUDIENCE_FIELD_NUMBER: _ClassVar[int]
    audience: Audience
    def __init__(self, audience: _Optional[_Union[Audience, _Mapping]] = ...) -> None: ...

class CreateAudienceResponse(_message.Message):
    __slots__ = ("audience",)
    AUDIENCE_FIELD_NUMBER: _ClassVar[int]
    audience: Audience
    def __init__(self, audience: _Optional[_Union[Audience, _Mapping]] = ...) -> None: ...

class GetAudienceRequest(_message.Message):
    __slots__ = ("name", "id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    id: str
    def __init__(self, name: _Optional[str] = ..., id: _Optional[str] = ...) -> None: ...

class GetAudienceResponse(_message.Message):
    __slots__ = ("audience",)
    AUDIENCE_FIELD_NUMBER: _ClassVar[int]
    audience: Audience
    def __init__(self, audience: _Optional[_Union[Audience, _Mapping]] = ...) -> None: ...

class ListAudiencesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListAudiencesResponse(_message.Message):
    __slots__ = ("audiences",)
    AUDIENCES_FIELD_NUMBER: _ClassVar[int]
    audiences: _containers.RepeatedCompositeFieldContainer[Audience]
    def __init__(self, audiences: _Optional[_Iterable[_Union[Audience, _Mapping]]] = ...) -> None: ...

class UpdateAudienceRequest(_message.Message):
    __slots__ = ("id", "audience")
    ID_FIELD_NUMBER: _ClassVar[int]
    AUDIENCE_FIELD_NUMBER: _ClassVar[int]
    id: str
    audience: Audience
    def __init__(self, id: _Optional[str] = ..., audience: _Optional[_Union[Audience, _Mapping]] = ...) -> None: ...

class UpdateAudienceResponse(_message.Message):
    __slots__ = ("audience",)
    AUDIENCE_FIELD_NUMBER: _ClassVar[int]
    audience: Audience
    def __init__(self, audience: _Optional[_Union[Audience, _Mapping]] = ...) -> None: ...

class DeleteAudienceRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class DeleteAudienceResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class PreviewAudienceRequest(_message.Message):
    __slots__ = ("audience",)
    AUDIENCE_FIELD_NUMBER: _ClassVar[int]
    audience: Audience
    def __init__(self, audience: _Optional[_Union[Audience, _Mapping]] = ...) -> None: ...

class PreviewAudienceResponse(_message.Message):
    __slots__ = ("size", "sample")
    SIZE_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_FIELD_NUMBER: _ClassVar[int]
    size: int
    sample: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, size: _Optional[int] = ..., sample: _Optional[_Iterable[str]] = ...) -> None: ...

class ListAudienceMembersRequest(_message.Message):
    __slots__ = ("id", "limit", "cursor")
    ID_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    id: str
    limit: int
    cursor: str
    def __init__(self, id: _Optional[str] = ..., limit: _Optional[int] = ..., cursor: _Optional[str] = ...) -> None: ...

class ListAudienceMembersResponse(_message.Message):
    __slots__ = ("profile_ids", "next_cursor")
    PROFILE_IDS_FIELD_NUMBER: _ClassVar[int]
    NEXT_CURSOR_FIELD_NUMBER: _ClassVar[int]
    profile_ids: _containers.RepeatedScalarFieldContainer[str]
    next_cursor: str
    def __init__(self, profile_ids: _Optional[_Iterable[str]] = ..., next_cursor: _Optional[str] = ...) -> None: ...

class GetAudienceSizeHistoryRequest(_message.Message):
    __slots__ = ("id", "bucket", "buckets")
    ID_FIELD_NUMBER: _ClassVar[int]
    BUCKET_FIELD_NUMBER: _ClassVar[int]
    BUCKETS_FIELD_NUMBER: _ClassVar[int]
    id: str
    bucket: str
    buckets: int
    def __init__(self, id: _Optional[str] = ..., bucket: _Optional[str] = ..., buckets: _Optional[int] = ...) -> None: ...

class SizePoint(_message.Message):
    __slots__ = ("at", "size", "entered", "exited")
    AT_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    ENTERED_FIELD_NUMBER: _ClassVar[int]
    EXITED_FIELD_NUMBER: _ClassVar[int]
    at: _timestamp_pb2.Timestamp
    size: int
    entered: int
    exited: int
    def __init__(self, at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., size: _Optional[int] = ..., entered: _Optional[int] = ..., exited: _Optional[int] = ...) -> None: ...

class GetAudienceSizeHistoryResponse(_message.Message):
    __slots__ = ("points",)
    POINTS_FIELD_NUMBER: _ClassVar[int]
    points: _containers.RepeatedCompositeFieldContainer[SizePoint]
    def __init__(self, points: _Optional[_Iterable[_Union[SizePoint, _Mapping]]] = ...) -> None: ...

class CreateComputedTraitRequest(_message.Message):
    __slots__ = ("computed_trait",)
    COMPUTED_TRAIT_FIELD_NUMBER: _ClassVar[int]
    computed_trait: ComputedTrait
    def __init__(self, computed_trait: _Optional[_Union[ComputedTrait, _Mapping]] = ...) -> None: ...

class CreateComputedTraitResponse(_message.Message):
    __slots__ = ("computed_trait",)
    COMPUTED_TRAIT_FIELD_NUMBER: _ClassVar[int]
    computed_trait: ComputedTrait
    def __init__(self, computed_trait: _Optional[_Union[ComputedTrait, _Mapping]] = ...) -> None: ...

class GetComputedTraitRequest(_message.Message):
    __slots__ = ("id", "name")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class GetComputedTraitResponse(_message.Message):
    __slots__ = ("computed_trait",)
    COMPUTED_TRAIT_FIELD_NUMBER: _ClassVar[int]
    computed_trait: ComputedTrait
    def __init__(self, computed_trait: _Optional[_Union[ComputedTrait, _Mapping]] = ...) -> None: ...

class ListComputedTraitsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListComputedTraitsResponse(_message.Message):
    __slots__ = ("computed_traits",)
    COMPUTED_TRAITS_FIELD_NUMBER: _ClassVar[int]
    computed_traits: _containers.RepeatedCompositeFieldContainer[ComputedTrait]
    def __init__(self, computed_traits: _Optional[_Iterable[_Union[ComputedTrait, _Mapping]]] = ...) -> None: ...

class UpdateComputedTraitRequest(_message.Message):
    __slots__ = ("id", "computed_trait")
    ID_FIELD_NUMBER: _ClassVar[int]
    COMPUTED_TRAIT_FIELD_NUMBER: _ClassVar[int]
    id: str
    computed_trait: ComputedTrait
    def __init__(self, id: _Optional[str] = ..., computed_trait: _Optional[_Union[ComputedTrait, _Mapping]] = ...) -> None: ...

class UpdateComputedTraitResponse(_message.Message):
    __slots__ = ("computed_trait",)
    COMPUTED_TRAIT_FIELD_NUMBER: _ClassVar[int]
    computed_trait: ComputedTrait
    def __init__(self, computed_trait: _Optional[_Union[ComputedTrait, _Mapping]] = ...) -> None: ...

class DeleteComputedTraitRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class DeleteComputedTraitResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class PreviewComputedTraitRequest(_message.Message):
    __slots__ = ("computed_trait",)
    COMPUTED_TRAIT_FIELD_NUMBER: _ClassVar[int]
    computed_trait: ComputedTrait
    def __init__(self, computed_trait: _Optional[_Union[ComputedTrait, _Mapping]] = ...) -> None: ...

class ProfileValue(_message.Message):
    __slots__ = ("profile_id", "value")
    PROFILE_ID_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    profile_id: str
    value: _struct_pb2.Value
    def __init__(self, profile_id: _Optional[str] = ..., value: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ...) -> None: ...

class PreviewComputedTraitResponse(_message.Message):
    __slots__ = ("size", "sample")
    SIZE_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_FIELD_NUMBER: _ClassVar[int]
    size: int
    sample: _containers.RepeatedCompositeFieldContainer[ProfileValue]
    def __init__(self, size: _Optional[int] = ..., sample: _Optional[_Iterable[_Union[ProfileValue, _Mapping]]] = ...) -> None: ...

class WatchMembershipsRequest(_message.Message):
    __slots__ = ("after", "from_start", "audience")
    AFTER_FIELD_NUMBER: _ClassVar[int]
    FROM_START_FIELD_NUMBER: _ClassVar[int]
    AUDIENCE_FIELD_NUMBER: _ClassVar[int]
    after: str
    from_start: bool
    audience: str
    def __init__(self, after: _Optional[str] = ..., from_start: _Optional[bool] = ..., audience: _Optional[str] = ...) -> None: ...

class MembershipChange(_message.Message):
    __slots__ = ("position", "profile_id", "audience_id", "audience", "change", "at", "reason")
    POSITION_FIELD_NUMBER: _ClassVar[int]
    PROFILE_ID_FIELD_NUMBER: _ClassVar[int]
    AUDIENCE_ID_FIELD_NUMBER: _ClassVar[int]
    AUDIENCE_FIELD_NUMBER: _ClassVar[int]
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    position: str
    profile_id: str
    audience_id: str
    audience: str
    change: str
    at: _timestamp_pb2.Timestamp
    reason: str
    def __init__(self, position: _Optional[str] = ..., profile_id: _Optional[str] = ..., audience_id: _Optional[str] = ..., audience: _Optional[str] = ..., change: _Optional[str] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reason: _Optional[str] = ...) -> None: ...

class WatchMembershipsResponse(_message.Message):
    __slots__ = ("change",)
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    change: MembershipChange
    def __init__(self, change: _Optional[_Union[MembershipChange, _Mapping]] = ...) -> None: ...
