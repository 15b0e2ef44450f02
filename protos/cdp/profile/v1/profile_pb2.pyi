import datetime

from cdp.common.v1 import common_pb2 as _common_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetProfileRequest(_message.Message):
    __slots__ = ("identifier",)
    IDENTIFIER_FIELD_NUMBER: _ClassVar[int]
    identifier: str
    def __init__(self, identifier: _Optional[str] = ...) -> None: ...

class Profile(_message.Message):
    __slots__ = ("id", "user_id", "anonymous_ids", "emails", "traits", "audiences", "created_at", "updated_at", "computed")
    ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    ANONYMOUS_IDS_FIELD_NUMBER: _ClassVar[int]
    EMAILS_FIELD_NUMBER: _ClassVar[int]
    TRAITS_FIELD_NUMBER: _ClassVar[int]
    AUDIENCES_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    COMPUTED_FIELD_NUMBER: _ClassVar[int]
    id: str
    user_id: str
    anonymous_ids: _containers.RepeatedScalarFieldContainer[str]
    emails: _containers.RepeatedScalarFieldContainer[str]
    traits: _struct_pb2.Struct
    audiences: _containers.RepeatedScalarFieldContainer[str]
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    computed: _struct_pb2.Struct
    def __init__(self, id: _Optional[str] = ..., user_id: _Optional[str] = ..., anonymous_ids: _Optional[_Iterable[str]] = ..., emails: _Optional[_Iterable[str]] = ..., traits: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., audiences: _Optional[_Iterable[str]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., computed: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class GetProfileResponse(_message.Message):
    __slots__ = ("profiles",)
    PROFILES_FIELD_NUMBER: _ClassVar[int]
    profiles: _containers.RepeatedCompositeFieldContainer[Profile]
    def __init__(self, profiles: _Optional[_Iterable[_Union[Profile, _Mapping]]] = ...) -> None: ...

class GetTraitsRequest(_message.Message):
    __slots__ = ("identifier", "trait_class", "include")
    IDENTIFIER_FIELD_NUMBER: _ClassVar[int]
    TRAIT_CLASS_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_FIELD_NUMBER: _ClassVar[int]
    identifier: str
    trait_class: str
    include: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, identifier: _Optional[str] = ..., trait_class: _Optional[str] = ..., include: _Optional[_Iterable[str]] = ...) -> None: ...

class GetTraitsResponse(_message.Message):
    __slots__ = ("profiles",)
    PROFILES_FIELD_NUMBER: _ClassVar[int]
    profiles: _containers.RepeatedCompositeFieldContainer[Profile]
    def __init__(self, profiles: _Optional[_Iterable[_Union[Profile, _Mapping]]] = ...) -> None: ...

class ProfileEvent(_message.Message):
    __slots__ = ("event_id", "profile_id", "external_id", "email", "action", "timestamp", "received_at", "message")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    PROFILE_ID_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_ID_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    RECEIVED_AT_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    profile_id: str
    external_id: str
    email: str
    action: str
    timestamp: _timestamp_pb2.Timestamp
    received_at: _timestamp_pb2.Timestamp
    message: _common_pb2.Message
    def __init__(self, event_id: _Optional[str] = ..., profile_id: _Optional[str] = ..., external_id: _Optional[str] = ..., email: _Optional[str] = ..., action: _Optional[str] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., received_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., message: _Optional[_Union[_common_pb2.Message, _Mapping]] = ...) -> None: ...

class ListEventsRequest(_message.Message):
    __slots__ = ("identifier", "start", "end", "sort", "size", "include", "exclude", "scroll_id")
    IDENTIFIER_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    SORT_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_FIELD_NUMBER: _ClassVar[int]
    EXCLUDE_FIELD_NUMBER: _ClassVar[int]
    SCROLL_ID_FIELD_NUMBER: _ClassVar[int]
    identifier: str
    start: _timestamp_pb2.Timestamp
    end: _timestamp_pb2.Timestamp
    sort: str
    size: int
    include: _containers.RepeatedScalarFieldContainer[str]
    exclude: _containers.RepeatedScalarFieldContainer[str]
    scroll_id: str
    def __init__(self, identifier: _Optional[str] = ..., start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., sort: _Optional[str] = ..., size: _Optional[int] = ..., include: _Optional[_Iterable[str]] = ..., exclude: _Optional[_Iterable[str]] = ..., scroll_id: _Optional[str] = ...) -> None: ...

class ListEventsResponse(_message.Message):
    __slots__ = ("events", "scroll_id")
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    SCROLL_ID_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[ProfileEvent]
    scroll_id: str
    def __init__(self, events: _Optional[_Iterable[_Union[ProfileEvent, _Mapping]]] = ..., scroll_id: _Optional[str] = ...) -> None: ...

class GetMetaRequest(_message.Message):
    __slots__ = ("identifier",)
    IDENTIFIER_FIELD_NUMBER: _ClassVar[int]
    identifier: str
    def __init__(self, identifier: _Optional[str] = ...) -> None: ...

class ProfileMeta(_message.Message):
    __slots__ = ("profile", "first_events", "last_events", "last_activity_time")
    class FirstEventsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: ProfileEvent
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[ProfileEvent, _Mapping]] = ...) -> None: ...
    class LastEventsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: ProfileEvent
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[ProfileEvent, _Mapping]] = ...) -> None: ...
    PROFILE_FIELD_NUMBER: _ClassVar[int]
    FIRST_EVENTS_FIELD_NUMBER: _ClassVar[int]
    LAST_EVENTS_FIELD_NUMBER: _ClassVar[int]
    LAST_ACTIVITY_TIME_FIELD_NUMBER: _ClassVar[int]
    profile: Profile
    first_events: _containers.MessageMap[str, ProfileEvent]
    last_events: _containers.MessageMap[str, ProfileEvent]
    last_activity_time: _timestamp_pb2.Timestamp
    def __init__(self, profile: _Optional[_Union[Profile, _Mapping]] = ..., first_events: _Optional[_Mapping[str, ProfileEvent]] = ..., last_events: _Optional[_Mapping[str, ProfileEvent]] = ..., last_activity_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetMetaResponse(_message.Message):
    __slots__ = ("profiles",)
    PROFILES_FIELD_NUMBER: _ClassVar[int]
    profiles: _containers.RepeatedCompositeFieldContainer[ProfileMeta]
    def __init__(self, profiles: _Optional[_Iterable[_Union[ProfileMeta, _Mapping]]] = ...) -> None: ...

class ListProfilesRequest(_message.Message):
    __slots__ = ("size", "scroll_id")
    SIZE_FIELD_NUMBER: _ClassVar[int]
    SCROLL_ID_FIELD_NUMBER: _ClassVar[int]
    size: int
    scroll_id: str
    def __init__(self, size: _Optional[int] = ..., scroll_id: _Optional[str] = ...) -> None: ...

class ListProfilesResponse(_message.Message):
    __slots__ = ("profiles", "scroll_id")
    PROFILES_FIELD_NUMBER: _ClassVar[int]
    SCROLL_ID_FIELD_NUMBER: _ClassVar[int]
    profiles: _containers.RepeatedCompositeFieldContainer[Profile]
    scroll_id: str
    def __init__(self, profiles: _Optional[_Iterable[_Union[Profile, _Mapping]]] = ..., scroll_id: _Optional[str] = ...) -> None: ...

class GetMembershipHistoryRequest(_message.Message):
    __slots__ = ("identifier", "size", "scroll_id")
    IDENTIFIER_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    SCROLL_ID_FIELD_NUMBER: _ClassVar[int]
    identifier: str
    size: int
    scroll_id: str
    def __init__(self, identifier: _Optional[str] = ..., size: _Optional[int] = ..., scroll_id: _Optional[str] = ...) -> None: ...

class MembershipChange(_message.Message):
    __slots__ = ("profile_id", "audience_id", "audience", "change", "at", "reason")
    PROFILE_ID_FIELD_NUMBER: _ClassVar[int]
    AUDIENCE_ID_FIELD_NUMBER: _ClassVar[int]
    AUDIENCE_FIELD_NUMBER: _ClassVar[int]
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    profile_id: str
    audience_id: str
    audience: str
    change: str
    at: _timestamp_pb2.Timestamp
    reason: str
    def __init__(self, profile_id: _Optional[str] = ..., audience_id: _Optional[str] = ..., audience: _Optional[str] = ..., change: _Optional[str] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reason: _Optional[str] = ...) -> None: ...

class GetMembershipHistoryResponse(_message.Message):
    __slots__ = ("changes", "scroll_id")
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    SCROLL_ID_FIELD_NUMBER: _ClassVar[int]
    changes: _containers.RepeatedCompositeFieldContainer[MembershipChange]
    scroll_id: str
    def __init__(self, changes: _Optional[_Iterable[_Union[MembershipChange, _Mapping]]] = ..., scroll_id: _Optional[str] = ...) -> None: ...

class GetCatalogRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class CatalogField(_message.Message):
    __slots__ = ("path", "types")
    PATH_FIELD_NUMBER: _ClassVar[int]
    TYPES_FIELD_NUMBER: _ClassVar[int]
    path: str
    types: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, path: _Optional[str] = ..., types: _Optional[_Iterable[str]] = ...) -> None: ...

class CatalogEvent(_message.Message):
    __slots__ = ("type", "name", "seen", "last_seen", "properties")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SEEN_FIELD_NUMBER: _ClassVar[int]
    LAST_SEEN_FIELD_NUMBER: _ClassVar[int]
    PROPERTIES_FIELD_NUMBER: _ClassVar[int]
    type: str
    name: str
    seen: int
    last_seen: _timestamp_pb2.Timestamp
    properties: _containers.RepeatedCompositeFieldContainer[CatalogField]
    def __init__(self, type: _Optional[str] = ..., name: _Optional[str] = ..., seen: _Optional[int] = ..., last_seen: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., properties: _Optional[_Iterable[_Union[CatalogField, _Mapping]]] = ...) -> None: ...

class GetCatalogResponse(_message.Message):
    __slots__ = ("events", "traits", "events_read", "profiles_read")
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    TRAITS_FIELD_NUMBER: _ClassVar[int]
    EVENTS_READ_FIELD_NUMBER: _ClassVar[int]
    PROFILES_READ_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[CatalogEvent]
    traits: _containers.RepeatedCompositeFieldContainer[CatalogField]
    events_read: int
    profiles_read: int
    def __init__(self, events: _Optional[_Iterable[_Union[CatalogEvent, _Mapping]]] = ..., traits: _Optional[_Iterable[_Union[CatalogField, _Mapping]]] = ..., events_read: _Optional[int] = ..., profiles_read: _Optional[int] = ...) -> None: ...
