"""Single sign-on's settings, checked at start-up, and which ID token claims vouch for an address."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.config import OidcSettings, Settings
from hub.errors import ConfigError
from hub.role_map import parse
from hub.sso import BadUserinfo, Refused, groups_in, verified_email, with_userinfo

KEYCLOAK = "https://id.example.org/realms/staff"


def env(tmp_path: Path, **values: str) -> dict[str, str]:
    base = {"SWITCHBOARD_HOME": str(tmp_path), "SECRET_KEY": "k", "SWITCHBOARD_PUBLIC_URL": "https://desk.example.org",
            "SWITCHBOARD_OIDC_ISSUER": KEYCLOAK, "SWITCHBOARD_OIDC_CLIENT_ID": "switchboard",
            "SWITCHBOARD_OIDC_CLIENT_SECRET": "s3cret"}  # fmt: skip
    return {k: v for k, v in {**base, **values}.items() if v != ""}


def test_the_provider_is_read_with_its_defaults(tmp_path: Path) -> None:
    oidc = Settings.from_env(env(tmp_path)).oidc
    assert oidc == OidcSettings(KEYCLOAK, "switchboard", "s3cret", "single sign-on", None, False)
    assert oidc.discovery_url == KEYCLOAK + "/.well-known/openid-configuration"
    assert "s3cret" not in repr(oidc)


def test_without_an_issuer_there_is_no_single_sign_on(tmp_path: Path) -> None:
    assert Settings.from_env(env(tmp_path, SWITCHBOARD_OIDC_ISSUER="", SWITCHBOARD_OIDC_CLIENT_ID="",
                                 SWITCHBOARD_OIDC_CLIENT_SECRET="")).oidc is None  # fmt: skip


def test_an_issuer_with_a_trailing_slash_is_kept_as_written_and_discovered_without_it(tmp_path: Path) -> None:
    authentik = "https://auth.example.org/application/o/switchboard/"
    oidc = Settings.from_env(env(tmp_path, SWITCHBOARD_OIDC_ISSUER=authentik)).oidc
    assert oidc is not None and oidc.issuer == authentik
    assert oidc.discovery_url == authentik + ".well-known/openid-configuration"


def test_the_name_role_and_passwords_for_admins_only_are_read(tmp_path: Path) -> None:
    oidc = Settings.from_env(env(tmp_path, SWITCHBOARD_OIDC_NAME="  Acme   Login ", SWITCHBOARD_OIDC_NEW_USERS="Viewer",
                                 SWITCHBOARD_OIDC_ONLY="yes")).oidc  # fmt: skip
    assert oidc is not None and (oidc.name, oidc.new_users, oidc.only) == ("Acme Login", "viewer", True)


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({"SWITCHBOARD_OIDC_CLIENT_ID": ""}, "SWITCHBOARD_OIDC_CLIENT_ID"),
        ({"SWITCHBOARD_OIDC_CLIENT_SECRET": ""}, "SWITCHBOARD_OIDC_CLIENT_SECRET"),
        ({"SWITCHBOARD_PUBLIC_URL": ""}, "SWITCHBOARD_PUBLIC_URL"),
        ({"SWITCHBOARD_OIDC_ISSUER": "http://id.example.org/realms/staff"}, "SWITCHBOARD_OIDC_ISSUER"),
        ({"SWITCHBOARD_OIDC_ISSUER": "id.example.org"}, "SWITCHBOARD_OIDC_ISSUER"),
        ({"SWITCHBOARD_OIDC_ISSUER": "https://login.microsoftonline.com/common/v2.0"}, "<tenant id>"),
        ({"SWITCHBOARD_OIDC_ISSUER": "https://login.microsoftonline.com/organizations/v2.0"}, "<tenant id>"),
        ({"SWITCHBOARD_OIDC_NEW_USERS": "boss"}, "SWITCHBOARD_OIDC_NEW_USERS"),
        ({"SWITCHBOARD_OIDC_NEW_USERS": "admin"}, "SWITCHBOARD_OIDC_NEW_USERS"),
        ({"SWITCHBOARD_OIDC_ONLY": "maybe"}, "SWITCHBOARD_OIDC_ONLY"),
        ({"SWITCHBOARD_OIDC_NAME": "x" * 61}, "SWITCHBOARD_OIDC_NAME"),
        ({"SWITCHBOARD_OIDC_ISSUER": "", "SWITCHBOARD_OIDC_CLIENT_SECRET": ""}, "SWITCHBOARD_OIDC_CLIENT_ID is set"),
        ({"SWITCHBOARD_OIDC_ROLE_MAP": "helpdesk"}, "must be group=role pairs, comma-separated, such as"),
        ({"SWITCHBOARD_OIDC_ROLE_MAP": "helpdesk=superuser"}, "'superuser' in 'helpdesk=superuser' is no role"),
        ({"SWITCHBOARD_OIDC_ROLES_CLAIM": "roles"}, "set SWITCHBOARD_OIDC_ROLE_MAP"),
        ({"SWITCHBOARD_OIDC_ROLE_MAP": "a=agent", "SWITCHBOARD_OIDC_ROLES_CLAIM": "my roles"}, "one claim's name"),
        ({"SWITCHBOARD_OIDC_ROLE_MAP": "a=agent", "SWITCHBOARD_OIDC_NEW_USERS": "viewer"}, "NEW_USERS=mapped"),
        ({"SWITCHBOARD_OIDC_NEW_USERS": "mapped"}, "mapped needs SWITCHBOARD_OIDC_ROLE_MAP"),
        ({"SWITCHBOARD_OIDC_SCOPES": "profile gr<oups"}, "SWITCHBOARD_OIDC_SCOPES lists scope names"),
        (
            {
                "SWITCHBOARD_OIDC_ISSUER": "",
                "SWITCHBOARD_OIDC_CLIENT_ID": "",
                "SWITCHBOARD_OIDC_CLIENT_SECRET": "",
                "SWITCHBOARD_OIDC_ROLE_MAP": "a=agent",
            },
            "SWITCHBOARD_OIDC_ROLE_MAP is set",
        ),
    ],
)
def test_a_mistake_stops_the_start_naming_the_variable(tmp_path: Path, values: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named.replace("<", r"\<")):
        Settings.from_env(env(tmp_path, **values))


def test_a_role_map_is_read_with_the_claim_it_reads(tmp_path: Path) -> None:
    mapped = {"SWITCHBOARD_OIDC_ROLE_MAP": "ops=admin,*=viewer", "SWITCHBOARD_OIDC_ROLES_CLAIM": " roles ",
              "SWITCHBOARD_OIDC_NEW_USERS": "Mapped"}  # fmt: skip
    oidc = Settings.from_env(env(tmp_path, **mapped)).oidc
    assert oidc is not None and oidc.role_map == parse("ops=admin,*=viewer")
    assert (oidc.roles_claim, oidc.new_users) == ("roles", "mapped")


def test_without_a_role_map_roles_are_left_to_admins_and_the_claim_is_groups(tmp_path: Path) -> None:
    oidc = Settings.from_env(env(tmp_path)).oidc
    assert oidc is not None and (oidc.role_map, oidc.roles_claim) == (None, "groups")


def test_scopes_are_added_to_openid_email_once_each_whether_spaces_or_commas_part_them(tmp_path: Path) -> None:
    oidc = Settings.from_env(env(tmp_path, SWITCHBOARD_OIDC_SCOPES=" profile,groups  email profile")).oidc
    assert oidc is not None and oidc.scopes == ("openid", "email", "profile", "groups")
    assert Settings.from_env(env(tmp_path)).oidc.scopes == ("openid", "email")  # type: ignore[union-attr]


def test_an_issuer_on_this_machine_may_use_plain_http(tmp_path: Path) -> None:
    oidc = Settings.from_env(env(tmp_path, SWITCHBOARD_OIDC_ISSUER="http://127.0.0.1:8080/realms/dev")).oidc
    assert oidc is not None


def test_a_verified_address_is_lowercased() -> None:
    assert verified_email({"email": " Ann@Example.ORG ", "email_verified": True}) == "ann@example.org"


def test_a_verified_flag_sent_as_a_string_counts() -> None:
    assert verified_email({"email": "ann@example.org", "email_verified": "true"}) == "ann@example.org"


def test_an_address_without_a_verified_flag_is_taken() -> None:
    assert verified_email({"email": "ann@example.org"}) == "ann@example.org"


@pytest.mark.parametrize("flag", [False, "false", None, 1, "yes"])
def test_an_address_not_plainly_verified_is_refused(flag: object) -> None:
    with pytest.raises(Refused) as refused:
        verified_email({"email": "ann@example.org", "email_verified": flag})
    assert (refused.value.reason, refused.value.email) == ("unverified", "ann@example.org")


@pytest.mark.parametrize("claims", [{}, {"email": ""}, {"email": "not an address"}, {"email": ["a@example.org"]}])
def test_a_token_without_one_address_is_refused(claims: dict[str, object]) -> None:
    with pytest.raises(Refused) as refused:
        verified_email(claims)
    assert refused.value.reason == "no_address"


def test_what_the_id_token_left_out_is_taken_from_userinfo_and_the_rest_kept() -> None:
    token = {"sub": "42", "email_verified": True, "name": "Ann"}
    answer = {"sub": "42", "email": "ann@example.org", "email_verified": False, "groups": ["ops"], "name": "Bob"}
    merged = with_userinfo(token, answer, "groups")
    # The address comes with userinfo's own verified flag, never the token's; what the token said stays.
    assert merged == {"sub": "42", "email": "ann@example.org", "email_verified": False, "groups": ["ops"],
                      "name": "Ann"}  # fmt: skip


def test_an_address_in_the_id_token_is_not_replaced_by_userinfos() -> None:
    token = {"sub": "42", "email": "ann@example.org"}
    merged = with_userinfo(token, {"sub": "42", "email": "eve@example.org", "email_verified": False}, "groups")
    assert merged == token


@pytest.mark.parametrize("sub", ["43", None, 42, ""])
def test_a_userinfo_answer_about_another_subject_is_refused(sub: object) -> None:
    with pytest.raises(BadUserinfo):
        with_userinfo({"sub": "42"}, {"sub": sub, "email": "eve@example.org"}, "groups")


@pytest.mark.parametrize(
    ("value", "groups"),
    [(["ops", "dba"], ("ops", "dba")), ("ops", ("ops",)), (["ops", 7, {"x": 1}], ("ops",)), (7, ()), (None, ())],
)
def test_a_groups_claim_is_a_list_of_names_or_one_name(value: object, groups: tuple[str, ...]) -> None:
    assert groups_in({"groups": value}, "groups") == groups
