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
