"""Composing a notice from templates: what the Jinja2 subject/text/HTML costs each mail on the intake path.

An acknowledgement or assignment is composed inside the transaction that opens an incident, so its cost is paid
on the ingest hot path. Times `notices.acknowledgement` (three compiled templates from the packaged defaults,
with the per-use stat that lets an edited override take effect without a restart) and the same with an override
folder that holds a subject override, against a baseline measured in the same run: the f-string composition
Switchboard used before templates (the same text, the same headers and Message-ID).

    python bench/mail_render.py [--iterations 20000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from email.utils import make_msgid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hub import notices
from hub.mail_templates import DEFAULTS, MailTemplates

FACTS = {"incident_id": 4242, "title": "Printer on fire", "requester": "ann@example.com",
         "desk_address": "help@example.com", "in_reply_to": "<q@example.com>",
         "base_url": "https://desk.example"}  # fmt: skip


def f_string_baseline() -> notices.Notice:
    """The pre-template composition: f-strings and the same headers."""
    ref, title, desk = "INC-4242", FACTS["title"], FACTS["desk_address"]
    body = (f"Hello,\n\nWe have received your request and opened {ref}: {title}\n\n"
            f"Reply to this email to add to it; keep [{ref}] in the subject.\n\n"
            f"-- \nService desk <{desk}>\n{FACTS['base_url']}/incidents/{ref}\n")  # fmt: skip
    delivery_id = str(uuid.uuid4())
    headers = {"From": desk, "Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All",
               "X-Switchboard-Delivery": delivery_id, "In-Reply-To": FACTS["in_reply_to"],
               "References": FACTS["in_reply_to"]}  # fmt: skip
    return notices.Notice(kind="acknowledgement", channel="email", recipient=str(FACTS["requester"]),
                          subject=f"[{ref}] {title}", body=body, headers=headers,
                          message_id=make_msgid(idstring=delivery_id, domain="example.com"),
                          delivery_id=delivery_id)  # fmt: skip


def templated(templates: MailTemplates) -> Callable[[], notices.Notice]:
    return lambda: notices.acknowledgement(templates=templates, **FACTS)  # type: ignore[arg-type]


def measure(compose: Callable[[], notices.Notice], iterations: int) -> list[float]:
    for _ in range(200):
        compose()
    samples = []
    for _ in range(iterations):
        start = time.perf_counter_ns()
        compose()
        samples.append((time.perf_counter_ns() - start) / 1000)
    return samples


def report(name: str, samples: list[float]) -> None:
    cuts = statistics.quantiles(samples, n=100)
    print(f"{name:34} p50 {cuts[49]:7.1f} µs   p99 {cuts[98]:7.1f} µs   {1e6 / statistics.mean(samples):9.0f}/s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        overridden = MailTemplates.at(Path(home))
        assert overridden.override_dir is not None
        overridden.override_dir.mkdir(parents=True)
        (overridden.override_dir / "acknowledgement.subject").write_text("Got it: [{{ reference }}] {{ title }}\n")
        report("baseline: f-strings (before)", measure(f_string_baseline, args.iterations))
        report("templates: packaged defaults", measure(templated(DEFAULTS), args.iterations))
        report("templates: with an override folder", measure(templated(overridden), args.iterations))
    return 0


if __name__ == "__main__":
    sys.exit(main())
