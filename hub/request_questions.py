"""A request type's questions and a requester's answers to them (pure): what an admin may ask, and what counts
as an answer.

An admin writes the questions as one line each, in a small syntax the page, the command line and the docs share
(docs/requests.md), so that no form needs a row of widgets per question:

    Cost centre *                           a one-line answer, required (the `*` at the end)
    What do you need it for? [text]          a longer answer, optional
    Which model? [choice: Standard, Developer] *   one of the choices, required

The API takes and gives the same questions as JSON objects ({label, required, kind, choices}). The answers are the
requester's words: they are checked for size and shape here and are text everywhere after (escaped on pages).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hub.errors import BadField
from hub.names import is_one_line

#: What a question asks for: one line, some lines, or one of its choices.
KINDS = ("line", "text", "choice")
MAX_QUESTIONS = 20
MAX_LABEL = 200
MAX_CHOICES = 30
MAX_CHOICE = 100
#: The longest answer of each kind. Twenty longer answers still fit an incident's description (ingest/logged.py).
MAX_ANSWER = {"line": 300, "text": 2000, "choice": MAX_CHOICE}
_LINE = re.compile(r"^(?P<label>.*?)\s*(?:\[(?P<kind>[a-z]+)(?::(?P<choices>[^\]]*))?\])?\s*(?P<required>\*)?$")


@dataclass(frozen=True)
class Question:
    label: str
    required: bool = False
    kind: str = "line"
    choices: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {"label": self.label, "required": self.required, "kind": self.kind, "choices": list(self.choices)}

    def as_line(self) -> str:
        """The question in the one-line syntax: `parse_line(q.as_line()) == q`."""
        kind = "" if self.kind == "line" else f" [{self.kind}]"
        if self.kind == "choice":
            kind = f" [choice: {', '.join(self.choices)}]"
        return f"{self.label}{kind}{' *' if self.required else ''}"


def checked(questions: Iterable[Question], field: str = "questions") -> tuple[Question, ...]:
    """The questions, each checked and all together: at most MAX_QUESTIONS, no label twice; BadField about `field`."""
    result = tuple(questions)
    if len(result) > MAX_QUESTIONS:
        raise BadField(field, f"a request type asks at most {MAX_QUESTIONS} questions; this one has {len(result)}")
    seen: set[str] = set()
    for number, question in enumerate(result, 1):
        where = f"question {number}"
        label = question.label.strip()
        if not label or len(label) > MAX_LABEL or not is_one_line(label):
            raise BadField(field, f"{where} needs a label of 1 to {MAX_LABEL} characters on one line")
        if label.casefold() in seen:
            raise BadField(field, f"{where} asks {label!r} again: give each question its own label")
        seen.add(label.casefold())
        if question.kind not in KINDS:
            raise BadField(field, f"{where}: the kind {question.kind!r} is none of {', '.join(KINDS)}")
        _check_choices(question, where, field)
    return result


def _check_choices(question: Question, where: str, field: str) -> None:
    if question.kind != "choice":
        if question.choices:
            raise BadField(field, f"{where} gives choices, so make its kind choice")
        return
    if not 2 <= len(question.choices) <= MAX_CHOICES:
        raise BadField(field, f"{where} is a choice: give it 2 to {MAX_CHOICES} choices, separated by commas")
    if len({choice.casefold() for choice in question.choices}) != len(question.choices):
        raise BadField(field, f"{where} offers a choice twice")
    for choice in question.choices:
        if not choice or len(choice) > MAX_CHOICE or not is_one_line(choice):
            raise BadField(field, f"{where}: each choice is 1 to {MAX_CHOICE} characters on one line")


def parse_line(line: str, field: str = "questions") -> Question:
    """One question in the one-line syntax (module docstring), checked; BadField about `field`."""
    if not _balanced(line):
        raise BadField(field, f"the question {line.strip()!r} has a [ without its ] or a ] without its [: the kind "
                              "goes in brackets after the label, like `Model [text]` or "
                              "`Size [choice: S, M, L]`")  # fmt: skip
    found = _LINE.match(line.strip())
    if found is None:  # pragma: no cover - the pattern matches any one line
        raise BadField(field, f"{line!r} is not a question")
    kind = found["kind"] or "line"
    choices = tuple(c.strip() for c in (found["choices"] or "").split(",") if c.strip())
    question = Question(found["label"].strip(), bool(found["required"]), kind, choices)
    return checked([question], field)[0]


def _balanced(line: str) -> bool:
    """Whether each [ of the line is closed by a ] after it: an unclosed one would otherwise end up in the label
    ("Model [text" asked as it stands) instead of being the kind meant."""
    depth = 0
    for char in line:
        depth += (char == "[") - (char == "]")
        if depth < 0:
            return False
    return depth == 0


def parse_lines(text: str, field: str = "questions") -> tuple[Question, ...]:
    """The questions of a textarea, one a line (blank lines skipped), checked together."""
    lines = [line for line in text.replace("\r\n", "\n").split("\n") if line.strip()]
    return checked([parse_line(line, field) for line in lines], field)


def from_json(value: Any, field: str = "questions") -> tuple[Question, ...]:
    """The questions as the API and the table keep them (a list of objects), checked."""
    if not isinstance(value, list):
        raise BadField(field, 'give the questions as a list of objects like {"label": "Cost centre"}')
    questions = []
    for number, item in enumerate(value, 1):
        if not isinstance(item, dict) or not isinstance(item.get("label"), str):
            raise BadField(field, f'question {number} needs a label: {{"label": "Cost centre", "required": true}}')
        choices = item.get("choices") or []
        if not isinstance(choices, list) or not all(isinstance(c, str) for c in choices):
            raise BadField(field, f"question {number}: choices are a list of words")
        kind = item.get("kind") or ("choice" if choices else "line")
        questions.append(Question(item["label"].strip(), item.get("required") is True, str(kind),
                                  tuple(c.strip() for c in choices)))  # fmt: skip
    return checked(questions, field)


def field_of(index: int) -> str:
    """The form field of the question at `index` (0-based): what an answer's error names."""
    return f"answer_{index}"


def answers(questions: Sequence[Question], typed: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """The requester's answers, (label, answer) in the questions' order, from the form's `typed` fields
    (`field_of`); BadField naming the question's field when a required one is empty, a choice is none of its
    choices, or an answer is too long. Unanswered optional questions are left out."""
    result = []
    for index, question in enumerate(questions):
        field = field_of(index)
        answer = (typed.get(field) or "").replace("\r\n", "\n").strip()
        if not answer:
            if question.required:
                raise BadField(field, f"answer “{question.label}”: it is needed for this request")
            continue
        if question.kind == "choice" and answer not in question.choices:
            raise BadField(field, f"for “{question.label}” choose one of the list")
        if question.kind == "line" and not is_one_line(answer):
            raise BadField(field, f"keep the answer to “{question.label}” to one line")
        if len(answer) > (limit := MAX_ANSWER[question.kind]):
            raise BadField(field, f"the answer to “{question.label}” is {len(answer):,} characters; at most "
                                  f"{limit:,} fit")  # fmt: skip
        result.append((question.label, answer))
    return tuple(result)


def described(body: str, answered: Iterable[Sequence[str]]) -> str:
    """An incident's description: the requester's own text, then one `Label: answer` line per answer (a longer
    answer's further lines indented under it)."""
    lines = [f"{label}: {answer.replace(chr(10), chr(10) + '  ')}" for label, answer in answered]
    return "\n\n".join(part for part in (body.strip(), "\n".join(lines)) if part)
