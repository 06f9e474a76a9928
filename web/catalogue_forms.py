"""The forms of the /services pages: services, SLA policies and business calendars, as `switchboard service|sla|
calendar` take them. Each form's text goes to the hub as typed; the hub parses and checks it (hub/catalogue.py,
hub/calendars.py), so the page and the commands refuse the same things with the same words, each beside its field.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import timedelta

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, FloatField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from hub import calendars, catalogue, zones
from hub.calendars import CalendarTerms
from hub.catalogue import PolicyTerms, Targets
from hub.domain import INCIDENT_KINDS, KIND_WORDS
from hub.durations import typed_duration
from hub.sla_clocks import DEFAULT_WARN_AT

#: A description is a line on the status page, not an essay.
DESCRIPTION_WIDTH = 500
PRIORITIES = [SelectChoice(f"P{n}", f"P{n} (highest)" if n == 1 else f"P{n}") for n in range(1, 6)]
#: Which kinds a policy is for: both (empty), or one of hub.domain.INCIDENT_KINDS, which the hub checks.
POLICY_KINDS = [SelectChoice("", "Incidents and service requests"),
                *(SelectChoice(kind, f"{KIND_WORDS[kind].capitalize()}s only") for kind in INCIDENT_KINDS)]  # fmt: skip
#: Closed days typed in the calendar form: separated by line breaks, spaces or commas.
_DAY_SEPARATORS = re.compile(r"[\s,]+")


class ServiceForm(FlaskForm):
    """What may change of a service. Names are checked by the hub (hub/names.py), as for the CLI."""

    owner_group = StringField("Owner group")
    description = StringField("What it is", validators=[Length(max=DESCRIPTION_WIDTH)])
    public = BooleanField("Show it on the public status page (/status)")
    major_group = StringField("Major-incident group")


class NewServiceForm(ServiceForm):
    name = StringField("Name")


class RenameForm(FlaskForm):
    new_name = StringField("New name")


class PolicyForm(FlaskForm):
    """`switchboard sla add`'s options; the hub parses and checks them (calendar and service choices too)."""

    name = StringField("Name")
    priority = SelectField("Priority", choices=PRIORITIES, validate_choice=False)
    first_response = StringField("First response within")
    next_update = StringField("Next update at least every (optional)")
    resolution = StringField("Resolution within")
    warn_at = FloatField("Warn at (share of a target)", default=DEFAULT_WARN_AT, validators=[InputRequired()])
    calendar = SelectField("Calendar", validate_choice=False)
    service = SelectField("Service", validate_choice=False)
    category = StringField("Category (optional)")
    organisation = StringField("Organisation (optional)")
    kind = SelectField("Kind", choices=POLICY_KINDS, validate_choice=False)

    def offer(self, calendars: Sequence[str], services: Sequence[str]) -> PolicyForm:
        """Offer the calendars and services there are (this form, for a template)."""
        self.calendar.choices = [SelectChoice("", "24x7 UTC (no calendar)"), *map(SelectChoice, calendars)]
        self.service.choices = [SelectChoice("", "Every service"), *map(SelectChoice, services)]
        return self

    def terms(self) -> PolicyTerms:
        """What was typed, as hub.catalogue.add_policy and hub.sla_edits.edit_policy take it (BadField: a mistake)."""
        targets = Targets.parse(first_response=self.first_response.data, next_update=self.next_update.data,
                                resolution=self.resolution.data)  # fmt: skip
        return PolicyTerms(priority=catalogue.parse_priority(self.priority.data or ""), targets=targets,
                           calendar=self.calendar.data, service=self.service.data, category=self.category.data,
                           organisation=self.organisation.data, kind=self.kind.data,
                           warn_at=self.warn_at.data or 0)  # fmt: skip

    @classmethod
    def of(cls, name: str, terms: PolicyTerms) -> PolicyForm:
        """The form for changing a policy, filled in with its stored terms (hub.catalogue.policy_terms); what was
        posted wins."""
        targets = terms["targets"]

        def typed(span: timedelta | None) -> str:
            return typed_duration(span) if span is not None else ""

        return cls(name=name, priority=f"P{terms['priority']}", first_response=typed(targets.first_response),
                   next_update=typed(targets.next_update), resolution=typed(targets.resolution),
                   warn_at=terms["warn_at"], calendar=terms["calendar"] or "", service=terms["service"] or "",
                   category=terms["category"] or "", organisation=terms["organisation"] or "",
                   kind=terms["kind"] or "")  # fmt: skip


class CalendarForm(FlaskForm):
    """`switchboard calendar add`'s options, an iCalendar file's all-day events among the closed days."""

    name = StringField("Name")
    tz = SelectField("Time zone", validate_choice=False)
    hours = StringField("Business hours")
    holidays = StringField("Public holidays (optional)")
    dates = TextAreaField("More closed days (optional)")
    ical = FileField("Closed days from an iCalendar file (optional)")

    def offer(self, default_zone: str) -> CalendarForm:
        """Offer every time zone, the installation's first chosen (this form, for a template)."""
        self.tz.choices = [SelectChoice(name) for name in zones.names()]
        if not self.tz.data:
            self.tz.data = default_zone
        return self

    def terms(self) -> CalendarTerms:
        """What was typed, as hub.calendars.add_calendar and hub.sla_edits.edit_calendar take it: the closed days
        typed and the iCal file's together (BadField: a mistake)."""
        country, subdivision = calendars.parse_region(self.holidays.data)
        dates = calendars.parse_dates(filter(None, _DAY_SEPARATORS.split(self.dates.data or "")), "dates")
        upload = self.ical.data
        if upload is not None and upload.filename:
            dates |= calendars.ical_closed_days(upload.read().decode("utf-8", errors="replace"))
        return CalendarTerms(tz=self.tz.data or "", hours=self.hours.data or "", country=country,
                             subdivision=subdivision, dates=dates)  # fmt: skip

    @classmethod
    def of(cls, name: str, terms: CalendarTerms) -> CalendarForm:
        """The form for changing a calendar, filled in with its stored terms (hub.calendars.calendar_terms); what
        was posted wins."""
        region = "-".join(part for part in (terms["country"], terms["subdivision"]) if part)
        dates = "\n".join(sorted(day.isoformat() for day in terms["dates"]))
        return cls(name=name, tz=terms["tz"], hours=terms["hours"], holidays=region, dates=dates)
