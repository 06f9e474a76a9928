"""An incident logged by hand: the fields an agent types in become an event, and each wrong field is named."""

from __future__ import annotations

from typing import Any

import pytest

from hub.domain import Chosen, Decision
from ingest.logged import CHANNELS, InvalidField, normalise


def logged(**fields: Any) -> Any:
    return normalise({"title": "Cannot print on floor 3", **fields}, by="agent@example.com")


def test_a_title_alone_is_an_event_from_the_desk_reported_by_phone_with_everything_left_to_the_rules() -> None:
    event = normalise({"title": "  Cannot print on floor 3 "}, by="agent@example.com")
    assert (event.source, event.title, event.description, event.requester) == (
        "desk", "Cannot print on floor 3", "", None
    )  # fmt: skip
    assert dict(event.labels) == {"channel": "phone"} and event.dedup_key is None
    assert event.chosen == Chosen(by="agent@example.com")


def test_the_agents_choices_are_carried_for_the_intake_to_lay_over_the_rules() -> None:
    event = logged(priority="2", category="printing", assignee="Bob@Example.com", acknowledge_requester=False)
    assert event.chosen == Chosen(
        by="agent@example.com", priority=2, category="printing", assignee="bob@example.com", acknowledge_requester=False
    )


def test_a_group_named_as_assignee_keeps_its_case() -> None:
    assert logged(assignee="Service-Desk").chosen.assignee == "Service-Desk"


@pytest.mark.parametrize("value", [1, "1", "P1", "p1", " 1 "])
def test_priority_is_a_number_or_its_text(value: Any) -> None:
    assert logged(priority=value).chosen.priority == 1


@pytest.mark.parametrize("value", [None, "", "  "])
def test_a_blank_priority_is_left_to_the_rules(value: Any) -> None:
    assert logged(priority=value).chosen.priority is None


@pytest.mark.parametrize("value", [0, 6, "6", "P0", "high", 2.5, True, [1]])
def test_a_priority_out_of_range_is_refused_naming_the_field(value: Any) -> None:
    with pytest.raises(InvalidField, match="'priority' must be 1") as caught:
        logged(priority=value)
    assert caught.value.field == "priority"


@pytest.mark.parametrize("fields", [{}, {"title": ""}, {"title": "   "}, {"title": None}])
def test_a_missing_or_blank_title_is_refused(fields: dict[str, Any]) -> None:
    with pytest.raises(InvalidField, match="'title' is required") as caught:
        normalise(fields, by="agent@example.com")
    assert caught.value.field == "title"


def test_a_title_too_long_for_its_column_is_refused_not_cut() -> None:
    with pytest.raises(InvalidField, match="'title' is 501 characters long; at most 500 fit"):
        normalise({"title": "x" * 501}, by="agent@example.com")


def test_the_requester_is_an_email_address_kept_in_lower_case() -> None:
    assert logged(requester=" Ann@Example.COM ").requester == "ann@example.com"


@pytest.mark.parametrize("value", ["ann", "ann @example.com", "<ann@example.com>", "a@b@c"])
def test_a_requester_that_is_no_address_is_refused(value: str) -> None:
    with pytest.raises(InvalidField, match="'requester' must be the reporter's email address") as caught:
        logged(requester=value)
    assert caught.value.field == "requester"


@pytest.mark.parametrize("channel", CHANNELS)
def test_each_channel_is_kept_as_a_label_for_the_rules(channel: str) -> None:
    assert logged(channel=channel.upper()).labels["channel"] == channel


def test_an_unknown_channel_is_refused_listing_the_known_ones() -> None:
    with pytest.raises(InvalidField, match="'channel' must be one of phone, walk-in, chat, email, other, not 'fax'"):
        logged(channel="fax")


def test_a_service_becomes_the_service_label_the_slas_and_rules_read() -> None:
    assert dict(logged(service="Mail").labels) == {"channel": "phone", "service": "Mail"}


@pytest.mark.parametrize("field", ["title", "requester", "category", "service", "assignee"])
@pytest.mark.parametrize("control", ["\x00", "\n", "\x1b[31m"])
def test_a_one_line_field_with_a_control_character_is_refused(field: str, control: str) -> None:
    with pytest.raises(InvalidField, match=f"'{field}' must be one line of text, without control characters"):
        logged(**{field: f"Cannot{control}print"})


def test_the_description_keeps_its_layout() -> None:
    assert logged(description="  Line one\n\n  indented\n").description == "  Line one\n\n  indented\n"


@pytest.mark.parametrize("field", ["title", "description", "requester", "channel", "category", "assignee"])
def test_a_field_that_is_not_text_is_refused(field: str) -> None:
    with pytest.raises(InvalidField, match=f"'{field}' must be a string"):
        logged(**{field: {"x": 1}})


def test_unknown_fields_are_refused_naming_them_and_the_known_ones() -> None:
    with pytest.raises(InvalidField, match=r"unknown field\(s\) 'dedup_key', 'severity'; use title, description"):
        logged(severity="critical", dedup_key="k")


@pytest.mark.parametrize(("value", "expected"), [(True, True), (False, False), ("on", True), ("off", False)])
def test_acknowledge_requester_is_a_boolean_or_a_checkbox_value(value: Any, expected: bool) -> None:
    assert logged(acknowledge_requester=value).chosen.acknowledge_requester is expected


def test_acknowledge_requester_that_is_no_boolean_is_refused() -> None:
    with pytest.raises(InvalidField, match="'acknowledge_requester' must be true or false"):
        logged(acknowledge_requester="perhaps")


def test_choices_win_over_the_rules_and_what_is_not_chosen_stays_theirs() -> None:
    rules = Decision(priority=4, category="hardware", assignee="dba", assigned_from="dba", impact=2, urgency=2,
                     service="print")  # fmt: skip
    chosen = Chosen(by="agent@example.com", priority=1, assignee="bob@example.com").over(rules)
    assert (chosen.priority, chosen.impact, chosen.urgency) == (1, None, None)
    assert (chosen.assignee, chosen.assigned_from) == ("bob@example.com", None)  # the group's turn was not taken
    assert (chosen.category, chosen.service) == ("hardware", "print")


def test_the_service_and_ci_given_win_over_the_rules_and_the_service_stays_a_label_for_conditions() -> None:
    event = logged(service="mail", ci=" mx1 ")
    assert (event.chosen.service, event.chosen.ci, event.labels["service"]) == ("mail", "mx1", "mail")
    chosen = event.chosen.over(Decision(priority=3, service="print", ci="printer-3"))
    assert (chosen.service, chosen.ci) == ("mail", "mx1")


def test_a_ci_name_longer_than_any_ci_is_refused() -> None:
    with pytest.raises(InvalidField, match="'ci' is 256 characters long; at most 255 fit") as caught:
        logged(ci="x" * 256)
    assert caught.value.field == "ci"


def test_a_person_asked_for_it_so_no_rule_suppresses_and_no_silence_holds_it() -> None:
    rules = Decision(priority=3, suppressed=True, silenced_by=7)
    chosen = Chosen(by="agent@example.com").over(rules)
    assert not chosen.suppressed and chosen.silenced_by is None
