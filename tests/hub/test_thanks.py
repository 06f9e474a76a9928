"""Which replies are only a thank-you (and so reopen nothing): short gratitude in the desk's languages, with no
question and none of the words that turn thanks into a report, though it may confirm that the fix holds ("works
again", "no more errors") in words that would otherwise turn it."""

from __future__ import annotations

import pytest

from hub.thanks import only_thanks
from tests.docs import fenced

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


FIX_CONFIRMED = [
    "Thanks, works again!",
    "thanks, all good now",
    "that fixed it, cheers",
    "Thanks, working again now :)",
    "Works again thanks",
    "Printer prints again \U0001f44d Thanks Bob",
    "Thanks, it no longer crashes.",
    "Thanks, it doesn\u2019t freeze anymore.",
    "Thanks, no more errors!",
    "Problem solved, thanks!",
    "Thanks, works again!\n\nBest regards,\nAnn",
    "Danke, läuft wieder",
    "Danke! Jetzt geht's wieder.",
    "Vielen Dank, es funktioniert wieder einwandfrei.",
    "Danke, stürzt nicht mehr ab, keine Fehlermeldungen mehr.",
    "Besten Dank, das Problem ist gelöst.",
    "Merci, ça remarche",
    "Merci, ça marche à nouveau.",
    "Merci beaucoup, ça ne plante plus, plus aucun problème.",
    "Gracias, ya funciona otra vez.",
    "Muchas gracias, ya no falla.",
    "Bedankt, het werkt weer!",
    "Dank je wel, werkt nu weer prima, geen foutmeldingen meer.",
    "Grazie, funziona di nuovo.",
    "Grazie mille, non si blocca più: problema risolto!",
]

STILL_BROKEN = [
    "still not working, thanks",
    "Thanks, works again but now the printer is down.",
    "Thanks, works again, except the scanner.",
    "Thanks, works again. The VPN is offline now.",
    "Thanks, works again.\nThe screen flickers.",
    "Thanks, the error is gone, the printer jammed.",
    "Thanks, it works again, sometimes.",
    "Thanks, not working again.",
    "Thanks, worked again for an hour.",
    "Thanks, crashing again.",
    "Thanks, the problem is not solved.",
    "Thanks, no longer works.",
    "Thanks, no more wifi.",
    "Thanks, it works again?",
    "Danke, läuft wieder nicht.",
    "Danke, geht wieder los.",
    "Danke, geht nicht mehr.",
    "Danke, das Problem ist wieder da.",
    "Merci, ça plante à nouveau.",
    "Merci, ça ne marche plus.",
    "Merci, ça remarche mais Outlook plante.",
    "Merci, plus aucun problème... sauf le wifi.",
    "Gracias, falla otra vez.",
    "Gracias, ya no funciona.",
    "Bedankt, het loopt weer vast.",
    "Bedankt, het werkt niet meer.",
    "Grazie, si blocca di nuovo.",
    "Grazie, funziona di nuovo ma la stampante è guasta.",
]


@pytest.mark.parametrize("text", FIX_CONFIRMED)
def test_thanks_that_confirm_the_fix_holds_are_only_thanks(text: str) -> None:
    assert only_thanks(text)


@pytest.mark.parametrize("text", STILL_BROKEN)
def test_thanks_with_a_fix_that_fails_again_or_with_new_trouble_are_not(text: str) -> None:
    assert not only_thanks(text)


def test_the_documented_example_prints_what_the_page_says(capsys: pytest.CaptureFixture[str]) -> None:
    [example] = fenced("docs/notifications.md", "A reply that only thanks", "python")
    [printed] = fenced("docs/notifications.md", "A reply that only thanks", "text")
    exec(compile(example, "docs/notifications.md", "exec"), {})
    assert capsys.readouterr().out == printed
