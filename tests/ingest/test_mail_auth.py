"""Reading the receiving mail server's Authentication-Results: a verdict on the From domain, believed only from the
configured server and only where that server alone can have written it.

The fixtures under tests/data/mail_auth/ are messages with the headers in the shapes each server documents and
writes: Gmail (mx.google.com, its verdict below its own Received), Microsoft 365 (no authserv-id at all), Postfix
with OpenDKIM and OpenDMARC (one header per milter, above Postfix's Received) and rspamd (one header for all).
"""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.config import Settings
from hub.domain import UNCHECKED, VERDICTS
from ingest import mail
from ingest.mail_auth import aligned, check_sender, parse_header
from tests.docs import fenced
from tests.fuzzing import fuzz

FIXTURES = Path(__file__).parent.parent / "data" / "mail_auth"
#: Each provider's authserv-id, as SWITCHBOARD_MAIL_AUTHSERV_ID is set for it.
SERVERS = {"gmail": "mx.google.com", "microsoft365": "microsoft365", "postfix": "mx.example.com",
           "rspamd": "mx.example.com"}  # fmt: skip


def verdict(name: str, authserv_id: str | None = None) -> tuple[str, str]:
    raw = (FIXTURES / f"{name}.eml").read_bytes()
    configured = authserv_id or SERVERS[name.split("_", 1)[0]]
    check = mail.read(raw, authserv_id=configured).event.mail.sender_check  # type: ignore[union-attr]
    return check.verdict, check.why


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("gmail_pass", ("pass", "DMARC passed")),
        ("gmail_fail", ("fail", "DMARC failed")),
        ("gmail_none", ("none", "mx.google.com found nothing either way")),
        ("microsoft365_pass", ("pass", "DMARC passed")),
        ("microsoft365_fail", ("fail", "DMARC failed")),
        ("microsoft365_none", ("none", "microsoft365 found nothing either way")),
        ("microsoft365_bestguesspass", ("pass", "DKIM passed")),  # no DMARC record: its aligned signature
        ("microsoft365_softfail", ("softfail", "SPF soft-failed")),  # no DMARC record, no signature
        ("postfix_opendmarc_pass", ("pass", "DMARC passed")),
        ("postfix_opendmarc_fail", ("fail", "DMARC failed")),
        ("postfix_opendmarc_none", ("none", "mx.example.com found nothing either way")),
        ("rspamd_pass", ("pass", "DMARC passed")),
        ("rspamd_fail", ("fail", "DMARC failed")),
        ("rspamd_spf_dkim_fail", ("fail", "SPF and DKIM failed")),  # no DMARC record, and both failed
        ("rspamd_none", ("none", "mx.example.com found nothing either way")),
        ("rspamd_softfail", ("softfail", "SPF soft-failed")),
        ("rspamd_neutral", ("none", "mx.example.com found nothing either way")),  # RFC 7208: neutral is none
    ],
)
def test_each_providers_verdict_is_read(name: str, expected: tuple[str, str]) -> None:
    assert verdict(name) == expected


@pytest.mark.parametrize("name", ["gmail_pass", "postfix_opendmarc_fail", "rspamd_pass", "microsoft365_fail"])
def test_a_header_of_another_server_is_not_believed(name: str) -> None:
    assert verdict(name, "mx.other.example")[0] == "none"


def test_microsoft_365s_header_is_believed_only_when_configured_so() -> None:
    assert verdict("microsoft365_fail", "mx.example.com") == ("none", "no Authentication-Results header from "
                                                                     "mx.example.com")  # fmt: skip
    assert verdict("rspamd_fail", "microsoft365")[0] == "none"


def test_a_forged_pass_below_the_senders_received_is_ignored() -> None:
    """The Gmail and Postfix fixtures carry a `dmarc=pass` with the right authserv-id that came with the message,
    below a Received header; the server's own `fail` stands."""
    for name in ("gmail_fail", "postfix_opendmarc_fail"):
        assert b"dmarc=pass" in (FIXTURES / f"{name}.eml").read_bytes()
        assert verdict(name) == ("fail", "DMARC failed")


def headers(*pairs: tuple[str, str]) -> list[tuple[str, str]]:
    return [*pairs, ("From", "Chief Executive <ceo@example.com>")]


AR, RECEIVED = "Authentication-Results", "Received"
BORDER = (RECEIVED, "from relay.example.net by mx.example.com (Postfix) with ESMTP id 4Xb")
SENDERS_HOP = (RECEIVED, "from localhost by relay.example.net (Postfix) with ESMTP id 4Xa")


def test_a_forged_header_below_the_servers_received_is_ignored() -> None:
    own = (AR, "mx.example.com; dkim=none; spf=fail smtp.mailfrom=ceo@example.com")
    forged = (AR, "mx.example.com; dmarc=pass header.from=example.com")
    found = check_sender(headers(own, BORDER, forged), "ceo@example.com", "mx.example.com")
    assert (found.verdict, found.why) == ("fail", "SPF and DKIM failed")
    found = check_sender(headers(own, BORDER, SENDERS_HOP, forged), "ceo@example.com", "mx.example.com")
    assert (found.verdict, found.why) == ("fail", "SPF and DKIM failed")


def test_a_header_directly_beneath_the_servers_own_cannot_overrule_it() -> None:
    """With no Received between (a border that writes its verdict under its Received, as Gmail does), position
    cannot tell a forgery apart: each method's topmost result counts."""
    own = (AR, "mx.google.com; spf=fail smtp.mailfrom=ceo@example.com; dmarc=fail header.from=example.com")
    forged = (AR, "mx.google.com; dkim=pass header.d=example.com; dmarc=pass header.from=example.com")
    found = check_sender(headers(BORDER, own, forged), "ceo@example.com", "mx.google.com")
    assert (found.verdict, found.why) == ("fail", "DMARC failed")


#: Two border fleets, as SWITCHBOARD_MAIL_AUTHSERV_ID names them: an on-premises gateway and Exchange Online.
BOTH = "mx.example.com,microsoft365"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("rspamd_pass", ("pass", "DMARC passed", "mx.example.com")),
        ("postfix_opendmarc_fail", ("fail", "DMARC failed", "mx.example.com")),
        ("microsoft365_pass", ("pass", "DMARC passed", "microsoft365")),
        ("microsoft365_fail", ("fail", "DMARC failed", "microsoft365")),
    ],
)
def test_with_two_servers_configured_mail_either_checked_is_judged_by_it(
    name: str, expected: tuple[str, str, str]
) -> None:
    raw = (FIXTURES / f"{name}.eml").read_bytes()
    check = mail.read(raw, authserv_id=BOTH).event.mail.sender_check  # type: ignore[union-attr]
    assert (check.verdict, check.why, check.by) == expected


@pytest.mark.parametrize("name", ["gmail_pass", "gmail_fail"])
def test_with_two_servers_configured_a_third_ones_header_is_not_believed(name: str) -> None:
    raw = (FIXTURES / f"{name}.eml").read_bytes()
    check = mail.read(raw, authserv_id=BOTH).event.mail.sender_check  # type: ignore[union-attr]
    assert (check.verdict, check.why) == ("none", "no Authentication-Results header from mx.example.com or "
                                                  "microsoft365")  # fmt: skip


def test_the_topmost_trusted_servers_run_is_read_and_the_others_headers_in_it_are_not() -> None:
    """A forged pass in the other fleet's name, beneath the verdict of the border that took the mail in and with no
    Received between (a border writing under its own Received), says nothing: that border did not remove it."""
    own = (AR, "mx.example.com; spf=fail smtp.mailfrom=ceo@example.com; dkim=none")
    forged = (AR, "dkim=pass header.d=example.com; dmarc=pass action=none header.from=example.com")
    found = check_sender(headers(BORDER, own, forged), "ceo@example.com", BOTH)
    assert (found.verdict, found.why, found.by) == ("fail", "SPF and DKIM failed", "mx.example.com")


def test_with_two_servers_configured_the_others_header_below_a_received_is_still_not_believed() -> None:
    """Mail in through Exchange Online, carrying a pass in the gateway's name that came with it, below a hop."""
    own = (AR, "spf=fail smtp.mailfrom=ceo@example.com; dkim=none; dmarc=fail action=oreject header.from=example.com")
    forged = (AR, "mx.example.com; dmarc=pass header.from=example.com")
    found = check_sender(headers(own, SENDERS_HOP, forged), "ceo@example.com", BOTH)
    assert (found.verdict, found.why, found.by) == ("fail", "DMARC failed", "microsoft365")


def test_a_dmarc_result_for_another_domain_says_nothing_of_this_one() -> None:
    own = (AR, "mx.example.com; dmarc=pass header.from=example.net")
    assert check_sender(headers(own, BORDER), "ceo@example.com", "mx.example.com").verdict == "none"


def test_without_dmarc_an_aligned_dkim_signature_passes_even_as_gmail_names_it() -> None:
    own = (AR, "mx.google.com; dkim=pass header.i=@mail.example.com header.s=20230601 header.b=K3fQx9Ab")
    found = check_sender(headers(own), "ceo@example.com", "mx.google.com")
    assert (found.verdict, found.why) == ("pass", "DKIM passed")


def test_an_envelope_sender_of_another_domain_is_no_pass_and_no_fail() -> None:
    passed = (AR, "mx.example.com; spf=pass smtp.mailfrom=bounces@mailer.example.net; dkim=none")
    failed = (AR, "mx.example.com; spf=fail smtp.mailfrom=bounces@mailer.example.net; dkim=none")
    for own in (passed, failed):
        assert check_sender(headers(own), "ceo@example.com", "mx.example.com").verdict == "none"


def test_spf_failing_while_dkim_said_nothing_is_a_softfail_never_kinder_than_one() -> None:
    for dkim in ("; dkim=temperror header.d=example.com", ""):  # a temporary error, or no DKIM result at all
        own = (AR, f"mx.example.com; spf=fail smtp.mailfrom=ceo@example.com{dkim}")
        found = check_sender(headers(own), "ceo@example.com", "mx.example.com")
        assert (found.verdict, found.why) == ("softfail", "SPF failed and DKIM said nothing")


def test_spf_softfailing_is_a_softfail_whatever_dkim_said_of_other_domains() -> None:
    for dkim in ("", "; dkim=none", "; dkim=pass header.d=mailer.example.net", "; dkim=fail header.d=example.com"):
        own = (AR, f"mx.example.com; spf=softfail smtp.mailfrom=ceo@example.com{dkim}")
        assert check_sender(headers(own), "ceo@example.com", "mx.example.com").verdict == "softfail", dkim


def test_spf_softfailing_is_outweighed_by_an_aligned_dkim_signature_or_dmarc() -> None:
    """Forwarded mail soft-fails SPF at the forwarder's address, while its signature still verifies."""
    signed = (AR, "mx.example.com; spf=softfail smtp.mailfrom=ceo@example.com; dkim=pass header.d=example.com")
    assert check_sender(headers(signed), "ceo@example.com", "mx.example.com").verdict == "pass"
    dmarc = (AR, "mx.example.com; spf=softfail smtp.mailfrom=ceo@example.com; dmarc=pass header.from=example.com")
    assert check_sender(headers(dmarc), "ceo@example.com", "mx.example.com").verdict == "pass"


@pytest.mark.parametrize("spf", ["neutral", "none", "temperror", "permerror"])
def test_spf_saying_nothing_either_way_is_no_verdict(spf: str) -> None:
    own = (AR, f"mx.example.com; spf={spf} smtp.mailfrom=ceo@example.com; dkim=none")
    assert check_sender(headers(own), "ceo@example.com", "mx.example.com").verdict == "none"


def test_a_softfail_for_an_envelope_sender_of_another_domain_says_nothing_of_this_one() -> None:
    own = (AR, "mx.example.com; spf=softfail smtp.mailfrom=bounces@mailer.example.net; dkim=none")
    assert check_sender(headers(own), "ceo@example.com", "mx.example.com").verdict == "none"


def test_with_no_server_configured_nothing_is_judged() -> None:
    own = (AR, "mx.example.com; dmarc=fail header.from=example.com")
    assert check_sender(headers(own), "ceo@example.com", None) == UNCHECKED
    raw = (FIXTURES / "rspamd_fail.eml").read_bytes()
    assert mail.read(raw).event.mail.sender_check == UNCHECKED  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("domain", "other", "expected"),
    [
        ("example.com", "example.com", True),
        ("example.com", "mail.example.com", True),
        ("mail.example.com", "example.com", True),
        ("news.example.com", "mail.example.com", False),  # siblings: DMARC would align them; here, no verdict
        ("example.com", "com", False),
        ("example.com", "badexample.com", False),
        ("example.com", "", False),
    ],
)
def test_alignment(domain: str, other: str, expected: bool) -> None:
    assert aligned(domain, other) is expected


def test_comments_and_quoted_strings_hide_what_they_hold() -> None:
    header = parse_header(
        "mx.example.com; dkim=pass (2048-bit key; unprotected) header.d=example.org; "
        'dmarc=fail reason="not aligned (relaxed); header.from=example.org" header.from=example.com'
    )
    assert [(r.method, r.result, dict(r.props)) for r in header.results] == [
        ("dkim", "pass", {"header.d": "example.org"}),
        ("dmarc", "fail", {"reason": "not aligned (relaxed); header.from=example.org", "header.from": "example.com"}),
    ]  # fmt: skip


@pytest.mark.parametrize(
    "value",
    [
        "",
        ";",
        "mx.example.com",
        "mx.example.com; none",
        "mx.example.com; dmarc",
        "mx.example.com; dmarc=",
        "mx.example.com; =pass",
        "mx.example.com; dmarc=pass header.from=",
        "; dmarc=pass header.from=example.com",
        "(mx.example.com; dmarc=pass header.from=example.com",
        '"mx.example.com; dmarc=pass header.from=example.com',
        "mx.example.com; dmarc = = pass header.from=example.com",
        "mx.example.com; dmarc=(pass) header.from=example.com",
        "mx.example.com;;;;; ==== ;;; ((((",
        "mx.example.com; \udcff\udcfe=\x00",
    ],
)
def test_a_malformed_header_is_no_verdict_and_no_error(value: str) -> None:
    assert check_sender(headers((AR, value)), "ceo@example.com", "mx.example.com").verdict == "none"


@fuzz(2000)
@given(st.lists(st.tuples(st.sampled_from([AR, RECEIVED, "From", "X-Other"]), st.text(max_size=300)), max_size=8),
       st.one_of(st.none(), st.text(max_size=40)))  # fmt: skip
def test_any_headers_give_a_verdict_and_never_an_error(found: list[tuple[str, str]], sender: str | None) -> None:
    assert check_sender(found, sender, "mx.example.com").verdict in VERDICTS


def test_raw_8bit_bytes_in_a_header_are_read_past() -> None:
    raw = b"Authentication-Results: mx.example.com; dmarc=pass \xff\xfe\r\nFrom: ann@example.com\r\n\r\nhi\r\n"
    parsed = email.message_from_bytes(raw, policy=email.policy.compat32)
    assert check_sender(parsed.raw_items(), "ann@example.com", "mx.example.com").verdict == "pass"


def test_the_documented_setting_for_two_border_servers_judges_mail_through_either(tmp_path: Path) -> None:
    [block] = [b for b in fenced("docs/integrations.md", "Forged senders: Authentication-Results", "sh") if "," in b]
    name, _, value = block.strip().partition("=")
    configured = Settings.from_env({"SECRET_KEY": "k", "SWITCHBOARD_HOME": str(tmp_path), name: value})
    for fixture, by in (("rspamd_fail", "mx.example.com"), ("microsoft365_fail", "microsoft365")):
        raw = (FIXTURES / f"{fixture}.eml").read_bytes()
        check = mail.read(raw, authserv_id=configured.mail_authserv_id).event.mail.sender_check  # type: ignore[union-attr]
        assert (check.verdict, check.by) == ("fail", by)
