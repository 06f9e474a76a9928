"""Whether a reply says only "thank you" (pure): such a reply to a resolved incident is the requester's thanks, not a
sign that the trouble is back, so it does not reopen the incident.

The test is deliberately narrow, since a wrong "thanks" leaves real trouble marked resolved while a wrong "not
thanks" only reopens it, as every reply did before: the new text must be short, thank us in one of the languages the
quote cutter knows (ingest/quotes.py: English, German, French, Spanish, Dutch, Italian), ask nothing, and carry none
of the words that turn thanks into a report ("still", "again", "not", "but" and their kin).
"""

from __future__ import annotations

import re

#: Longer than this (characters, after folding whitespace; or words) and a reply is more than a thank-you.
MAX_CHARS = 200
MAX_WORDS = 30

_GRATITUDE = re.compile(
    r"\b(?:thanks|thank\s+you|thank\s+u|thx|cheers|appreciated|appreciate\s+it"  # en
    r"|danke|dankesch[öo]n|vielen\s+dank|besten\s+dank|herzlichen\s+dank"  # de
    r"|merci|remercie|remerciements"  # fr
    r"|gracias|agradezco|agradecid[oa]"  # es
    r"|bedankt|dank\s+je(?:wel)?|dank\s+u(?:wel)?|dankjewel|dankuwel|hartelijk\s+dank"  # nl
    r"|grazie|ringrazio)\b",  # it
    re.IGNORECASE,
)

#: Words that make a thank-you something else, by language: it still fails, it broke again, it does not, thanks but...
TURNS = {
    "en": "still again not no nothing never but however yet anymore though although except unfortunately sadly "
    "broken broke fails failed failing error problem problems issue issues wrong "
    "dont doesnt didnt isnt wasnt cant cannot wont havent hasnt",
    "de": "noch immer wieder erneut nicht nichts kein keine keinen aber jedoch leider trotzdem fehler problem kaputt",
    "fr": "encore toujours pas ne plus jamais mais toutefois cependant malheureusement erreur problème",
    "es": "todavía aún aun sigue otra nuevo pero sin embargo nunca problema lamentablemente desafortunadamente",
    "nl": "nog steeds weer opnieuw niet geen maar echter helaas fout probleem kapot",
    "it": "ancora nuovo non ma però tuttavia purtroppo errore mai",
}
_TURNS = frozenset(word for words in TURNS.values() for word in words.split())

_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")


def only_thanks(text: str) -> bool:
    """Whether `text` (a reply's newest part, quotes cut) is nothing but a short thank-you."""
    folded = " ".join(text.split()).replace("\u2019", "'")
    if not folded or len(folded) > MAX_CHARS or "?" in folded or "\u00bf" in folded:
        return False
    words = _WORD.findall(folded.lower())
    if len(words) > MAX_WORDS or _GRATITUDE.search(folded) is None:
        return False
    return not any(_turns(word) for word in words)


def _turns(word: str) -> bool:
    """A word that turns thanks into a report: in the list, or a contraction with "not" ("doesn't", "n'est")."""
    return word in _TURNS or word.endswith("n't") or word.startswith("n'") or word.replace("'", "") in _TURNS
