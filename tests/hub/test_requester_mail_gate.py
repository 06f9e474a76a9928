"""The one rule for automatic mail to a requester, on plain values (hub/requester_mail_gate.py); the paths that ask
it are specified through the database in tests/hub/test_recipients.py and tests/hub/test_merged_requesters.py."""

from __future__ import annotations

from dataclasses import replace

import pytest

from hub.addresses import pseudonym
from hub.requester_mail_gate import Refusal, RequesterMail, Verdict, may_mail

ANN = "ann@example.org"
ASKED = RequesterMail(ANN, "email", opening_verdict="pass", desk=("helpdesk@example.com",))


@pytest.mark.parametrize(
    ("mail", "refusal"),
    [
        (ASKED, None),
        (replace(ASKED, source="desk"), None),  # logged by an agent for them
        (replace(ASKED, source="web"), None),  # asked on the portal
        (replace(ASKED, opening_verdict=None), None),  # no server's verdict to go by
        (replace(ASKED, opening_verdict="none"), None),
        (replace(ASKED, source="alertmanager"), Refusal.NOT_ASKED),
        (replace(ASKED, requester=None), Refusal.NO_ADDRESS),
        (replace(ASKED, requester="  "), Refusal.NO_ADDRESS),
        (replace(ASKED, told=[ANN]), Refusal.TOLD),
        (replace(ASKED, told=["Ann@Example.org"]), Refusal.TOLD),  # addresses are compared in any case
        (replace(ASKED, requester=pseudonym(ANN, "key")), Refusal.ERASED),
        (replace(ASKED, requester="HelpDesk@example.com"), Refusal.DESK),
        (replace(ASKED, requester="no-reply@vendor.example"), Refusal.NO_REPLY),
        (replace(ASKED, requester="MAILER-DAEMON@mx.example.org"), Refusal.NO_REPLY),
        (replace(ASKED, opened_automatically=True), Refusal.AUTOMATIC),
        (replace(ASKED, opening_verdict="softfail"), Refusal.UNVERIFIED),
        (replace(ASKED, opening_verdict="fail"), Refusal.UNVERIFIED),
    ],
    ids=lambda value: value.name if isinstance(value, Refusal) else None,
)
def test_each_rule_alone_decides_whether_the_requester_is_mailed(mail: RequesterMail, refusal: Refusal | None) -> None:
    assert may_mail(mail).refusal is refusal


def test_the_address_is_given_back_lower_cased_and_stripped() -> None:
    assert may_mail(replace(ASKED, requester=" Ann@Example.ORG ")) == Verdict(ANN)


def test_a_silent_reason_wins_over_one_the_timeline_notes() -> None:
    """Who made the change knows why they were not mailed; a note that their mail was unverified would mislead."""
    unverified_actor = replace(ASKED, opening_verdict="fail", opened_automatically=True, told=[ANN])
    assert may_mail(unverified_actor).refusal is Refusal.TOLD


def test_an_automatic_opening_mail_is_named_before_its_unverified_sender() -> None:
    assert may_mail(replace(ASKED, opening_verdict="fail", opened_automatically=True)).refusal is Refusal.AUTOMATIC


@pytest.mark.parametrize("refusal", list(Refusal), ids=lambda refusal: refusal.name)
def test_only_refusals_the_agent_could_not_tell_from_the_page_are_noted(refusal: Refusal) -> None:
    assert refusal.noted == (refusal in {Refusal.NO_REPLY, Refusal.AUTOMATIC, Refusal.UNVERIFIED})
