"""One-time codes as authenticator apps compute them: the RFCs' own test vectors, drift, replay and typing."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlsplit

import pytest

from hub import totp

#: RFC 4226 appendix D and RFC 6238 appendix B use this ASCII key (SHA-1).
RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()


@pytest.mark.parametrize(
    ("counter", "code"),
    [(0, "755224"), (1, "287082"), (2, "359152"), (3, "969429"), (4, "338314"), (9, "520489")],
)
def test_codes_match_rfc_4226_hotp_vectors(counter: int, code: str) -> None:
    assert totp.code_at(RFC_SECRET, counter) == code


@pytest.mark.parametrize(
    ("unix_time", "code"),
    [(59, "94287082"), (1111111109, "07081804"), (1111111111, "14050471"), (1234567890, "89005924"),
     (2000000000, "69279037"), (20000000000, "65353130")],
)  # fmt: skip
def test_codes_match_rfc_6238_totp_vectors(unix_time: int, code: str) -> None:
    assert totp.code_at(RFC_SECRET, totp.step_at(unix_time), digits=8) == code


def test_a_new_secret_is_160_bits_of_base32() -> None:
    secret = totp.new_secret()
    assert len(base64.b32decode(secret + "=" * (-len(secret) % 8))) == 20
    assert secret != totp.new_secret()


def test_the_current_code_is_accepted_at_its_step() -> None:
    now = 1_800_000_015.0
    assert totp.accepted_step(RFC_SECRET, totp.code_at(RFC_SECRET, totp.step_at(now)), now) == totp.step_at(now)


def test_a_code_one_step_either_side_is_accepted_for_clock_drift() -> None:
    now = 1_800_000_015.0
    step = totp.step_at(now)
    assert totp.accepted_step(RFC_SECRET, totp.code_at(RFC_SECRET, step - 1), now) == step - 1
    assert totp.accepted_step(RFC_SECRET, totp.code_at(RFC_SECRET, step + 1), now) == step + 1


def test_a_code_two_steps_old_is_refused() -> None:
    now = 1_800_000_015.0
    assert totp.accepted_step(RFC_SECRET, totp.code_at(RFC_SECRET, totp.step_at(now) - 2), now) is None


def test_a_code_at_or_before_the_last_accepted_step_is_refused() -> None:
    now = 1_800_000_015.0
    step = totp.step_at(now)
    code = totp.code_at(RFC_SECRET, step)
    assert totp.accepted_step(RFC_SECRET, code, now, after=step) is None
    assert totp.accepted_step(RFC_SECRET, code, now, after=step - 1) == step


def test_spaces_and_dashes_as_apps_show_them_are_ignored() -> None:
    now = 1_800_000_015.0
    code = totp.code_at(RFC_SECRET, totp.step_at(now))
    assert totp.accepted_step(RFC_SECRET, f" {code[:3]} {code[3:]} ", now) is not None
    assert totp.accepted_step(RFC_SECRET, f"{code[:3]}-{code[3:]}", now) is not None


@pytest.mark.parametrize("typed", ["", "12345", "1234567", "abcdef", "12345x"])
def test_anything_but_six_digits_is_refused(typed: str) -> None:
    assert totp.accepted_step(RFC_SECRET, typed, 1_800_000_015.0) is None


def test_the_provisioning_uri_names_issuer_account_and_secret() -> None:
    uri = urlsplit(totp.provisioning_uri("JBSWY3DPEHPK3PXP", "ann@example.com"))
    assert (uri.scheme, uri.netloc, uri.path) == ("otpauth", "totp", "/Switchboard:ann@example.com")
    query = parse_qs(uri.query)
    assert query["secret"] == ["JBSWY3DPEHPK3PXP"] and query["issuer"] == ["Switchboard"]
    assert (query["digits"], query["period"], query["algorithm"]) == (["6"], ["30"], ["SHA1"])


def test_the_secret_is_grouped_by_four_for_typing() -> None:
    assert totp.grouped("JBSWY3DPEHPK3PXP") == "JBSW Y3DP EHPK 3PXP"
