"""The request catalogue's checks, shared by `switchboard request-type`, its pages and its API: what an admin
types, what a requester answers, and which types are offered; those that store, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from hub import catalogue, groups, request_types
from hub.db import Database
from hub.errors import BadField, Missing
from hub.request_questions import (
    MAX_QUESTIONS,
    Question,
    answers,
    described,
    from_json,
    parse_line,
    parse_lines,
)
from tests.staff import agents
from tests.web.both_databases import settings_on_either_database  # noqa: F401  (the fixture `settings`)


def test_a_question_line_says_its_label_kind_choices_and_whether_it_is_required() -> None:
    assert parse_line("Which model? [choice: Standard, Developer] *") == Question(
        "Which model?", True, "choice", ("Standard", "Developer")
    )
    assert parse_line("What for? [text]") == Question("What for?", False, "text")
    assert parse_line("Cost centre *") == Question("Cost centre", True, "line")


@pytest.mark.parametrize("line", ["Which model? [choice: Standard, Developer] *", "What for? [text]", "Cost centre"])
def test_a_question_written_back_as_a_line_reads_the_same(line: str) -> None:
    assert parse_line(parse_line(line).as_line()) == parse_line(line)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("Cost centre\ncost centre *", "again"),
        ("Which? [choice: One]", "2 to"),
        ("Which? [colour]", "kind"),
        ("\n".join(f"Q{n}" for n in range(MAX_QUESTIONS + 1)), f"at most {MAX_QUESTIONS}"),
        ("*", "label"),
        ("Why?\nModel [text", r"'Model \[text' has a \[ without its \].*`Model \[text\]`"),
    ],
    ids=["label twice", "one choice", "unknown kind", "too many", "no label", "unclosed bracket"],
)
def test_questions_that_cannot_be_asked_are_refused_naming_the_field(text: str, says: str) -> None:
    with pytest.raises(BadField, match=says) as refused:
        parse_lines(text)
    assert refused.value.field == "questions"


def test_questions_as_json_without_a_label_are_refused() -> None:
    with pytest.raises(BadField, match="label"):
        from_json([{"required": True}])


def test_a_required_question_left_empty_is_refused_naming_its_field() -> None:
    with pytest.raises(BadField, match="Cost centre") as refused:
        answers([Question("Why"), Question("Cost centre", True)], {"answer_0": "x", "answer_1": "  "})
    assert refused.value.field == "answer_1"


def test_an_answer_that_is_none_of_the_choices_is_refused() -> None:
    with pytest.raises(BadField, match="choose one"):
        answers([Question("Model", True, "choice", ("Mac", "PC"))], {"answer_0": "Amiga"})


def test_an_answer_longer_than_its_kind_allows_is_refused() -> None:
    with pytest.raises(BadField, match="at most"):
        answers([Question("Why", False, "text")], {"answer_0": "x" * 2001})


def test_answers_come_in_the_questions_order_leaving_out_unanswered_optional_ones() -> None:
    questions = [Question("Model", True, "choice", ("Mac", "PC")), Question("Why", False, "text"), Question("Room")]
    assert answers(questions, {"answer_2": "B12", "answer_0": "Mac"}) == (("Model", "Mac"), ("Room", "B12"))


def test_the_description_is_the_requesters_text_then_one_line_per_answer() -> None:
    assert described("Please hurry", [("Model", "Mac"), ("Why", "new\nstarter")]) == (
        "Please hurry\n\nModel: Mac\nWhy: new\n  starter"
    )


def test_an_added_request_type_reads_back_with_its_group_and_questions(db: Database) -> None:
    with db.transaction() as session:
        groups.save_group(session, "hardware", agents(session, "ann@example.com"))
        added = request_types.add(session, name="New laptop", summary="A laptop for a new starter",
                                  category="hardware", group="hardware",
                                  questions=parse_lines("Model [choice: Mac, PC] *"))  # fmt: skip
    with db.read() as session:
        assert request_types.named(session, "New laptop") == added
    assert (added.group, added.category, added.active) == ("hardware", "hardware", True)
    assert added.questions == (Question("Model", True, "choice", ("Mac", "PC")),)


def test_a_group_that_does_not_exist_is_refused_naming_the_field(db: Database) -> None:
    with db.transaction() as session, pytest.raises(BadField, match="no group 'nobody'") as refused:
        request_types.add(session, name="VPN access", summary="Remote access", group="nobody")
    assert refused.value.field == "group"


def test_a_service_is_named_and_read_back(db: Database) -> None:
    with db.transaction() as session:
        catalogue.add_service(session, name="vpn")
        added = request_types.add(session, name="VPN access", summary="Remote access", service="vpn")
    assert added.service == "vpn"


def test_a_second_request_type_of_the_same_name_is_refused(db: Database) -> None:
    with db.transaction() as session:
        request_types.add(session, name="VPN access", summary="Remote access")
    with db.transaction() as session, pytest.raises(BadField, match="already") as refused:
        request_types.add(session, name="VPN access", summary="Again")
    assert refused.value.field == "name"


def test_a_name_another_type_has_in_other_letter_case_is_refused_as_rules_cannot_tell_them_apart(
    db: Database,
) -> None:
    with db.transaction() as session:
        request_types.add(session, name="VPN access", summary="Remote access")
        request_types.add(session, name="Shared mailbox", summary="A team's mailbox")
    with db.transaction() as session, pytest.raises(BadField, match="rules cannot tell") as refused:
        request_types.add(session, name="vpn ACCESS", summary="Again")
    assert refused.value.field == "name"
    with db.transaction() as session, pytest.raises(BadField, match="'VPN access'"):
        request_types.change(session, "Shared mailbox", new_name="Vpn Access")


def test_a_type_may_change_the_case_of_its_own_name(db: Database) -> None:
    with db.transaction() as session:
        request_types.add(session, name="VPN access", summary="Remote access")
    with db.transaction() as session:
        assert request_types.change(session, "VPN access", new_name="VPN Access").view.name == "VPN Access"


def test_a_summary_of_two_lines_is_refused(db: Database) -> None:
    with db.transaction() as session, pytest.raises(BadField) as refused:
        request_types.add(session, name="VPN access", summary="one\ntwo")
    assert refused.value.field == "summary"


def test_a_retired_type_is_listed_after_the_active_ones_and_not_offered(db: Database) -> None:
    with db.transaction() as session:
        old = request_types.add(session, name="Fax line", summary="A fax", position=-5)
        request_types.add(session, name="VPN access", summary="Remote access")
        request_types.change(session, "Fax line", active=False)
    with db.read() as session:
        assert [t.name for t in request_types.listing(session)] == ["VPN access", "Fax line"]
        assert [t.name for t in request_types.listing(session, active_only=True)] == ["VPN access"]
        with pytest.raises(BadField, match="no longer offered"):
            request_types.offered(session, old.id)
        assert request_types.routing(session.connection(), "Fax line") is None


def test_changing_a_type_that_does_not_exist_says_how_to_list_them(db: Database) -> None:
    with db.transaction() as session, pytest.raises(Missing, match="request-type list"):
        request_types.change(session, "Nothing", summary="x")


def test_renaming_a_type_keeps_its_questions(db: Database) -> None:
    with db.transaction() as session:
        request_types.add(session, name="VPN", summary="Remote access", questions=parse_lines("Why *"))
        changed = request_types.change(session, "VPN", new_name="VPN access", category="network").view
    assert (changed.name, changed.category, changed.questions) == ("VPN access", "network", (Question("Why", True),))
