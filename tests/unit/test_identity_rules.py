from services.ingest.identity import Identifier, decide

U1, U2 = Identifier("userId", "u1"), Identifier("userId", "u2")
EMAIL, ANON = Identifier("email", "e@x.com"), Identifier("anonymousId", "a1")


def test_a_new_person_owns_nothing() -> None:
    assert decide([], "u1").profile_id == ""


def test_the_anonymous_profile_merges_into_the_known_one() -> None:
    resolution = decide([(U1, "P-user", "u1"), (ANON, "P-anon", "")], "u1")
    assert (resolution.profile_id, resolution.merged, resolution.dropped) == ("P-user", ["P-anon"], [])


def test_an_anonymous_profile_becomes_the_user_when_the_user_is_new() -> None:
    resolution = decide([(ANON, "P-anon", "")], "u1")
    assert (resolution.profile_id, resolution.merged) == ("P-anon", [])


def test_an_identifier_of_another_user_is_dropped_not_merged() -> None:
    resolution = decide([(U2, "P2", "u2"), (ANON, "P1", "u1")], "u2")
    assert (resolution.profile_id, resolution.merged, resolution.dropped) == ("P2", [], [ANON])


def test_a_new_user_on_a_device_of_another_user_gets_a_profile_of_their_own() -> None:
    resolution = decide([(ANON, "P1", "u1")], "u2")
    assert (resolution.profile_id, resolution.dropped) == ("", [ANON])


def test_without_a_user_id_the_higher_priority_owner_wins_and_a_conflicting_one_is_dropped() -> None:
    resolution = decide([(EMAIL, "P-email", "u1"), (ANON, "P-anon", "u2")], "")
    assert (resolution.profile_id, resolution.dropped) == ("P-email", [ANON])


def test_the_profile_with_a_user_survives_over_an_earlier_found_anonymous_one() -> None:
    resolution = decide([(EMAIL, "P-email", ""), (ANON, "P-anon", "u1")], "")
    assert (resolution.profile_id, resolution.merged) == ("P-anon", ["P-email"])


def test_identifiers_owned_by_one_profile_merge_nothing() -> None:
    resolution = decide([(U1, "P", "u1"), (EMAIL, "P", "u1"), (ANON, "P", "u1")], "u1")
    assert (resolution.profile_id, resolution.merged, resolution.dropped) == ("P", [], [])
