import pytest

from services.common.errors import ValidationError
from services.profile.profiles import parse_identifier


@pytest.mark.parametrize(
    ("identifier", "expected"),
    [
        ("userId:joe", ("user_id", "joe")),
        ("email:Joe.Bloggs+x@Intilery.com", ("emails", "joe.bloggs+x@intilery.com")),
        ("id:4c90b9cf", ("_id", "4c90b9cf")),
        ("anonymousId:a:b", ("anonymous_ids", "a:b")),
    ],
)
def test_identifiers(identifier: str, expected: tuple[str, str]) -> None:
    assert parse_identifier(identifier) == expected


@pytest.mark.parametrize("identifier", ["joe", "userId:", ":joe", "phone:123", ""])
def test_malformed_identifiers(identifier: str) -> None:
    with pytest.raises(ValidationError):
        parse_identifier(identifier)


@pytest.mark.parametrize(("identifier", "words"), [
    ("userId:a\x00b", "userId must not hold control characters"),
    ("email:a\tb@c.d", "email must not hold control characters"),
    ("anonymousId:" + "a" * 513, "anonymousId may be at most 512 characters, not 513"),
])
def test_ids_no_profile_can_have_are_malformed(identifier: str, words: str) -> None:
    """Ingest never stores such an id, so a lookup of one is told why rather than "not found"."""
    with pytest.raises(ValidationError, match=words):
        parse_identifier(identifier)
    assert parse_identifier("userId:" + "a" * 512)[1] == "a" * 512
