"""Which replies are only a thank-you (and so reopen nothing): short gratitude in the desk's languages, with no
question and none of the words that turn thanks into a report."""

from __future__ import annotations

import pytest

from hub.thanks import only_thanks

THANKS = [
    "Thanks, fixed!",
    "Thank you so much, works now :)",
    "thx",
    "Cheers, much appreciated.\n\nAnn",
    "Many thanks for the quick help!\n\nBest regards,\nAnn Example",
    "Danke, funktioniert einwandfrei.",
    "Vielen Dank!",
    "Merci beaucoup, ça marche.",
    "¡Muchas gracias!",
    "Bedankt, het werkt.",
    "Dank je wel!",
    "Grazie mille, funziona.",
    "Perfect, thanks Bob!",
    "Thanks \u2013 that did the trick.",
]

NOT_THANKS = [
    "Thanks, but it broke again.",
    "Thanks, it is still slow.",
    "Thank you. It does not print.",
    "Thanks. The scanner doesn\u2019t work.",
    "Thanks! Could you also reset my VPN token?",
    "Thanks, no change here.",
    "It works.",  # no thanks: a report, whatever it says
    "",
    "Danke, aber es geht immer noch nicht.",
    "Merci, mais ça ne marche pas.",
    "Gracias, pero todavía falla.",
    "Bedankt, maar het werkt nog steeds niet.",
    "Grazie, ma non funziona ancora.",
    "¿Gracias? Sigue igual.",
    "Thanks. " + "The printer on the third floor prints every page twice since this morning " * 3,
    "Thanks for fixing my laptop. Unfortunately the docking station now shows nothing on the second screen.",
]


@pytest.mark.parametrize("text", THANKS)
def test_a_short_thank_you_is_only_thanks(text: str) -> None:
    assert only_thanks(text)


@pytest.mark.parametrize("text", NOT_THANKS)
def test_thanks_with_a_report_a_question_or_no_thanks_at_all_is_not(text: str) -> None:
    assert not only_thanks(text)
