"""What a verified Logout Token asks (hub/sso_logout.py): the rules Back-Channel Logout 1.0 adds to an ID token's."""

from __future__ import annotations

import pytest

from hub.sso_logout import EVENT, LEEWAY, MAX_AGE, BadLogoutToken, ProviderSession, logout_request

NOW = 1_800_000_000.0


def token(**changes: object) -> dict[str, object]:
    claims: dict[str, object] = {"iss": "https://id.example.org", "aud": "switchboard", "iat": NOW, "exp": NOW + 120,
                                 "jti": "j-1", "sub": "248289761001", "sid": "s-1", "events": {EVENT: {}}}  # fmt: skip
    claims.update(changes)
    return {name: value for name, value in claims.items() if value is not None}


def test_a_token_naming_a_session_ends_that_session_even_beside_the_person() -> None:
    asked = logout_request(token(), NOW)
    assert (asked.sid, asked.sub, asked.scope) == ("s-1", "248289761001", "one session")


def test_a_token_naming_only_the_person_ends_every_session_of_theirs() -> None:
    asked = logout_request(token(sid=None), NOW)
    assert (asked.sid, asked.sub, asked.scope) == (None, "248289761001", "every session")


def test_the_jti_is_remembered_for_as_long_as_the_token_would_be_taken() -> None:
    assert logout_request(token(iat=NOW - 100), NOW).remember_for == MAX_AGE - 100 + LEEWAY


def test_the_logout_event_must_be_a_json_object() -> None:
    with pytest.raises(BadLogoutToken, match="events"):
        logout_request(token(events={EVENT: "yes"}), NOW)


def test_an_empty_sub_and_sid_name_no_one() -> None:
    with pytest.raises(BadLogoutToken, match="sub or a sid"):
        logout_request(token(sub="", sid=""), NOW)


def test_a_token_a_little_ahead_of_our_clock_is_taken() -> None:
    assert logout_request(token(iat=NOW + LEEWAY), NOW).jti == "j-1"


def test_an_iat_that_is_no_number_is_refused() -> None:
    with pytest.raises(BadLogoutToken, match="iat"):
        logout_request(token(iat=True), NOW)


def test_a_login_keeps_the_provider_session_its_id_token_names() -> None:
    assert ProviderSession.of({"sub": "u-1", "sid": "s-1", "nonce": "n"}) == ProviderSession("u-1", "s-1")
    assert ProviderSession.of({"sub": "u-1", "sid": ""}) == ProviderSession("u-1", None)
    assert ProviderSession.of({"email": "a@example.com"}) is None
