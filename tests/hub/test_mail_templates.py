"""Mail templates: every kind renders from its packaged defaults, overrides take effect, broken ones are refused."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hub import notices
from hub.mail_templates import DEFAULTS, NAMES, PARTS, MailTemplates, TemplateProblem, check, sample_facts

DESK = {"desk_address": "help@example.com", "base_url": "https://desk.example"}
HOSTILE = 'Disk <script>alert("x")</script> & full'


#: What each mail about no incident names, in its subject and bodies, in place of a reference.
ABOUT_NO_INCIDENT = {
    "ask_confirmation": lambda facts: "your request",
    "my_requests": lambda facts: "requests",
    "on_call": lambda facts: facts["group"],
    "status_confirmation": lambda facts: "status updates",
    "status_update": lambda facts: facts["updates"][0]["service"],
}


@pytest.mark.parametrize("name", NAMES)
def test_every_template_renders_from_its_packaged_defaults(name: str) -> None:
    facts = sample_facts(name)
    marker = facts["reference"] or ABOUT_NO_INCIDENT[name](facts)
    rendered = DEFAULTS.render(name, facts)
    assert marker in rendered.subject and "\n" not in rendered.subject
    assert marker in rendered.text
    assert rendered.html is not None and marker in rendered.html and rendered.html.lstrip().startswith("<!DOCTYPE")


def test_every_html_mail_breaks_a_long_unbroken_word_rather_than_widen_a_phones_screen() -> None:
    for name in NAMES:  # a title that is a long link, say: mail apps show the page as wide as its widest word
        html = DEFAULTS.render(name, sample_facts(name)).html
        assert html is not None
        assert "overflow-wrap: anywhere" in html.split("<body", 1)[1].split(">", 1)[0], name


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("part", PARTS)
def test_every_packaged_template_passes_the_check(name: str, part: str) -> None:
    check((Path(notices.__file__).parent / "templates" / "mail" / f"{name}.{part}").read_text(), name=name, part=part)


def every_notice(templates: MailTemplates = DEFAULTS, title: str = "Printer on fire") -> list[notices.Notice]:
    common = {"incident_id": 7, "title": title, "templates": templates, **DESK}
    return [
        notices.acknowledgement(requester="ann@example.com", in_reply_to=None, **common),
        notices.assignment(priority=2, assignee="bob@example.com", **common),
        notices.assignment(priority=2, assignee="bob@example.com", group="dba", **common),
        notices.escalation(priority=1, recipient="bob@example.com", step=0, **common),
        notices.state_change("resolved", assignee="bob@example.com", source="nagios", **common),
        notices.requester_resolution(requester="ann@example.com", source="bob@example.com", **common),
        notices.state_change("reopened", assignee="bob@example.com", source="a new nagios alert", **common),
        notices.state_change("stable", status="resolved", assignee="bob@example.com", **common),
        notices.agent_reply(requester="ann@example.com", text="Try again.", agent="bob", references=(), **common),
        notices.requester_replied(
            recipient="bob@example.com", requester="ann@example.com", text="<b>Still</b>", **common
        ),
        notices.sla_alert(clock="resolution", kind="warning", due="soon", assignee="bob@example.com", **common),
        notices.sla_alert(clock="first_response", kind="breach", due="now", assignee="bob@example.com", **common),
    ]


def test_every_notice_kind_has_subject_text_and_html() -> None:
    for notice in every_notice():
        assert notice.subject.startswith("[INC-7] ") and "Printer on fire" in notice.subject, notice.kind
        assert "INC-7" in notice.body and notice.html is not None and "INC-7" in notice.html, notice.kind
        assert "Printer on fire" in notice.html or notice.kind == "reply", notice.kind  # a reply is the agent's text


def test_group_assignment_says_it_is_the_groups() -> None:
    notice = notices.assignment(incident_id=7, title="Disk", priority=2, assignee="bob@example.com", group="dba",
                                **DESK)  # fmt: skip
    assert notice.subject == "[INC-7] P2 assigned to your group dba: Disk"


def test_html_body_escapes_a_hostile_title_and_text_body_keeps_it_verbatim() -> None:
    for notice in every_notice(title=HOSTILE):
        assert notice.html is not None and "<script>" not in notice.html, notice.kind
        if notice.kind != "reply":  # a reply's bodies are the agent's text (next test)
            assert "&lt;script&gt;" in notice.html and HOSTILE in notice.body, notice.kind
        assert HOSTILE in notice.subject, notice.kind


def test_agent_reply_text_is_escaped_in_html() -> None:
    notice = notices.agent_reply(incident_id=7, title="Printer", requester="ann@example.com", agent="bob",
                                 text="<img src=x onerror=alert(1)>", references=(), **DESK)  # fmt: skip
    assert notice.html is not None and "<img" not in notice.html and "&lt;img" in notice.html
    assert "<img src=x onerror=alert(1)>" in notice.body


def test_urls_in_an_agent_reply_are_links_in_html_escaped_and_left_as_typed_in_text() -> None:
    text = "See https://kb.example/a?b=1&c=2 <b>now</b>."
    notice = notices.agent_reply(incident_id=7, title="Printer", requester="ann@example.com", agent="bob",
                                 text=text, references=(), **DESK)  # fmt: skip
    link = '<a href="https://kb.example/a?b=1&amp;c=2" rel="nofollow noopener noreferrer">https://kb.example/a?b=1&amp;c=2</a>'
    assert notice.html is not None and f"See {link} &lt;b&gt;now&lt;/b&gt;." in notice.html
    assert text in notice.body and "<a " not in notice.body


def override(home: Path, filename: str, text: str) -> MailTemplates:
    folder = home / "templates" / "mail"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / filename).write_text(text)
    return MailTemplates.at(home)


def test_an_override_file_takes_effect(tmp_path: Path) -> None:
    templates = override(tmp_path, "acknowledgement.subject", "Got it: {{ reference }} ({{ title }})")
    notice = notices.acknowledgement(incident_id=7, title="Printer", requester="ann@example.com", in_reply_to=None,
                                     templates=templates, **DESK)  # fmt: skip
    assert notice.subject == "Got it: INC-7 (Printer)"
    assert "We have received your request" in notice.body  # parts not overridden stay the defaults


def test_an_edited_override_takes_effect_without_a_restart(tmp_path: Path) -> None:
    templates = override(tmp_path, "resolved.txt", "first {{ reference }}\n")
    assert templates.render("resolved", sample_facts("resolved")).text == "first INC-42\n"
    path = tmp_path / "templates" / "mail" / "resolved.txt"
    path.write_text("second {{ reference }}\n")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))  # a later edit, whatever the clock
    assert templates.render("resolved", sample_facts("resolved")).text == "second INC-42\n"


def test_an_override_without_html_part_removes_nothing_else(tmp_path: Path) -> None:
    templates = override(tmp_path, "stable.txt", "{{ reference }} is {{ status }}\n")
    rendered = templates.render("stable", sample_facts("stable"))
    assert rendered.text == "INC-42 is resolved\n" and rendered.html is not None


def test_a_syntax_error_is_refused_with_its_line() -> None:
    broken = "Hello\n\n{% if workaround %}\nno end\n"
    with pytest.raises(TemplateProblem, match=r"ack\.txt, line 4: Unexpected end of template"):
        check(broken, name="acknowledgement", part="txt", origin="ack.txt")


def test_an_unclosed_expression_is_refused_with_its_line() -> None:
    with pytest.raises(TemplateProblem, match=r"line 3"):
        check("a\nb\n{{ title \n", name="resolved", part="html")


def test_an_undefined_variable_is_refused_with_the_ones_it_may_use() -> None:
    with pytest.raises(TemplateProblem, match=r"unknown variable\(s\) titel; resolved templates may use .*title"):
        check("{{ titel }}", name="resolved", part="subject")


def test_an_undefined_attribute_is_refused_at_check_time() -> None:
    with pytest.raises(TemplateProblem, match="line 2"):
        check("ok\n{{ title.missing.deeper }}\n", name="resolved", part="txt")


def test_the_sandbox_refuses_reaching_into_python() -> None:
    with pytest.raises(TemplateProblem, match=r"unsafe|not safely|access"):
        check("{{ title.__class__.__mro__ }}", name="resolved", part="txt")


def test_a_broken_override_falls_back_to_the_default_and_is_listed(tmp_path: Path) -> None:
    templates = override(tmp_path, "resolved.subject", "{% if %}")
    assert templates.render("resolved", sample_facts("resolved")).subject.startswith("[INC-42] Resolved:")
    [problem] = templates.problems()
    assert "resolved.subject, line 1" in problem


def test_a_stray_file_in_the_override_folder_is_reported(tmp_path: Path) -> None:
    templates = override(tmp_path, "resolve.txt", "{{ reference }}")
    [problem] = templates.problems()
    assert "no mail template is called 'resolve'" in problem


def test_a_requesters_reply_is_quoted_escaped_in_html_and_verbatim_in_text() -> None:
    hostile = "<img src=x onerror=alert(1)>"
    notice = notices.requester_replied(incident_id=7, title="VPN", recipient="bob@example.com",
                                       requester="ann@example.com", text=hostile, **DESK)  # fmt: skip
    assert notice.html is not None and "<img" not in notice.html and "&lt;img" in notice.html
    assert hostile in notice.body


def test_a_status_update_escapes_an_agents_note_in_html_and_keeps_the_stop_link_in_both_bodies() -> None:
    update = {"service": "mail", "state": "degraded", "label": "Degraded performance", "was": "Operational",
              "note": HOSTILE, "planned": [], "headline": "mail: Degraded performance"}  # fmt: skip
    notice = notices.status_update(recipient="ann@example.org", updates=[update], leave_url="https://d/stop", **DESK)
    assert notice.html is not None and "<script>" not in notice.html and "&lt;script&gt;" in notice.html
    assert HOSTILE in notice.body and "https://d/stop" in notice.body and 'href="https://d/stop"' in notice.html
    assert notice.subject == "mail: Degraded performance"
