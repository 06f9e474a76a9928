"""Whether a reply says only "thank you" (pure): such a reply to a resolved incident is the requester's thanks, not a
sign that the trouble is back, so it does not reopen the incident.

The test is deliberately narrow, since a wrong "thanks" leaves real trouble marked resolved while a wrong "not
thanks" only reopens it, as every reply did before: the new text must be short, thank us in one of the languages the
quote cutter knows (ingest/quotes.py: English, German, French, Spanish, Dutch, Italian), ask nothing, and carry none
of the words that turn thanks into a report ("still", "again", "not", "but" and their kin).

Some of those words also confirm the fix: "works again", "läuft wieder", "no more errors", "problème résolu". Such a
confirmation is set aside before the turning words are looked for, but only as a whole phrase that ends where its
clause does (a stop, a line's end, or the thanks): "works again but now the printer is down" and "läuft wieder
nicht" keep their "again", "but" and "nicht", and reopen.
"""

from __future__ import annotations

import re
from functools import cache

#: Longer than this (characters, after folding whitespace; or words) and a reply is more than a thank-you.
MAX_CHARS = 200
MAX_WORDS = 30

_GRATITUDE_WORDS = (
    r"thanks|thank\s+you|thank\s+u|thx|cheers|appreciated|appreciate\s+it"  # en
    r"|danke|dankesch[öo]n|vielen\s+dank|besten\s+dank|herzlichen\s+dank"  # de
    r"|merci|remercie|remerciements"  # fr
    r"|gracias|agradezco|agradecid[oa]"  # es
    r"|bedankt|dank\s+je(?:wel)?|dank\s+u(?:wel)?|dankjewel|dankuwel|hartelijk\s+dank"  # nl
    r"|grazie|ringrazio"  # it
)
_GRATITUDE = re.compile(rf"\b(?:{_GRATITUDE_WORDS})\b", re.IGNORECASE)

#: Words that make a thank-you something else, by language: it still fails, it broke again, it does not, thanks but...
#: or it is down, hangs, works only sometimes.
TURNS = {
    "en": "still again not no nothing never but however yet anymore though although except unfortunately sadly "
    "broken broke fails failed failing error problem problems issue issues wrong "
    "dont doesnt didnt isnt wasnt cant cannot wont havent hasnt "
    "down dead offline crash crashes crashed crashing freeze freezes freezing frozen hangs stuck slow lost missing "
    "jammed flickers flickering blank sometimes occasionally intermittently partly partially",
    "de": "noch immer wieder erneut nicht nichts kein keine keinen aber jedoch leider trotzdem fehler problem kaputt "
    "probleme absturz abgestürzt stürzt hängt langsam weg ausgefallen flackert außer ausser manchmal teilweise "
    "zeitweise",
    "fr": "encore toujours pas ne plus jamais mais toutefois cependant malheureusement erreur problème "
    "nouveau plante planté bloque bloqué lent panne sauf excepté parfois partiellement",
    "es": "todavía aún aun sigue otra nuevo pero sin embargo nunca problema lamentablemente desafortunadamente "
    "nuevamente falla fallo cuelga lento caído excepto salvo menos veces parcialmente",
    "nl": "nog steeds weer opnieuw niet geen maar echter helaas fout probleem kapot "
    "traag vast crasht storing behalve flikkert soms deels gedeeltelijk",
    "it": "ancora nuovo non ma però tuttavia purtroppo errore mai nuovamente blocca bloccato lento crasha guasto "
    "tranne eccetto volte parzialmente",
}
_TURNS = frozenset(word for words in TURNS.values() for word in words.split())

#: Phrases that say the fix holds, by language, though they carry turning words: it works again, it no longer
#: crashes, no more errors, the problem is solved. Only what runs in the normal way counts ("runs again", not
#: "starts again" or "is back", which the trouble does too), and only trouble that is named stops ("no longer
#: crashes", never "no longer works").
FIXED = {
    "en": (
        r"(?:works?|working|runs?|running|prints?|printing|connects?|connecting|syncs?|syncing|loads?|loading"
        r"|boots?|online|fine|ok|okay|good|normal)(?:\s+(?:fine|perfectly|properly|normally|great|now))?\s+again"
        r"(?:\s+(?:now|fine|perfectly|properly|normally|as\s+(?:expected|before|usual)))?",
        r"no\s+longer\s+(?:crash(?:es|ing)?|fails?|failing|freez(?:es|ing)|hangs?|hanging|drops?|dropping"
        r"|disconnects?|disconnecting)",
        r"(?:does\s+not|doesn't|is\s+not|isn't|not)\s+(?:crash(?:ing)?|fail(?:ing)?|freez(?:e|ing)|hang(?:ing)?"
        r"|drop(?:ping)?|disconnect(?:ing)?)\s+(?:anymore|any\s+more)",
        r"no\s+more\s+(?:problems?|issues?|errors?|crash(?:es)?|drops?|freezes?|hiccups?)(?:\s+now)?",
        r"no\s+(?:problems?|issues?|errors?|crash(?:es)?)\s+(?:anymore|any\s+more)",
        r"(?:the\s+)?(?:problem|issue|error|bug)s?\s+(?:is\s+|are\s+|has\s+been\s+|have\s+been\s+|seems?\s+)?"
        r"(?:solved|resolved|fixed|gone|sorted)",
    ),
    "de": (
        r"(?:geht|geht's|gehts|läuft|laeuft|funktioniert|klappt|tut's|tuts|gehen|laufen|funktionieren|druckt)"
        r"(?:\s+(?:es|das|alles|er|sie|jetzt|nun|endlich|auch|bei\s+mir))*\s+wieder"
        r"(?:\s+(?:einwandfrei|problemlos|gut|normal|super|prima|perfekt|tadellos|rund|richtig))?",
        r"(?:ist|sind|alles)\s+(?:alles\s+|jetzt\s+|nun\s+)*wieder\s+(?:alles\s+)?(?:gut|ok|okay|in\s+ordnung"
        r"|normal|online)",
        r"(?:stürzt|stuerzt)\s+(?:es\s+|er\s+|sie\s+|das\s+)?nicht\s+mehr\s+ab",
        r"(?:hängt|haengt|friert)\s+(?:es\s+|er\s+|sie\s+|das\s+)?nicht\s+mehr(?:\s+ein)?",
        r"kein(?:e|en)?\s+(?:fehler|fehlermeldungen?|probleme?|abstürze?|abbrüche?)\s+mehr",
        r"(?:das\s+)?(?:problem|fehler)\s+(?:ist\s+)?(?:gelöst|behoben|weg)",
    ),
    "fr": (
        r"(?:marche|marchent|fonctionne|fonctionnent|tourne|imprime)(?:\s+(?:bien|parfaitement|correctement))?"
        r"\s+(?:à|de)\s+nouveau(?:\s+(?:bien|parfaitement|correctement))?",
        r"(?:ne\s+|n')(?:plante|plantent|bloque|bloquent|gèle|coupe|coupent|crashe)\s+plus",
        r"plus\s+aucune?\s+(?:problème|souci|erreur|bug|plantage|coupure)s?",
        r"(?:le\s+|les\s+)?(?:problème|souci|bug)s?\s+(?:est\s+|sont\s+)?(?:résolue?s?|réglée?s?|corrigée?s?)",
    ),
    "es": (
        r"(?:funciona|funcionan|anda|va|marcha|imprime)(?:\s+bien)?\s+(?:otra\s+vez|de\s+nuevo|nuevamente)"
        r"(?:\s+bien)?",
        r"ya\s+no\s+(?:falla|fallan|se\s+cuelga|se\s+bloquea|da\s+(?:errores|error|problemas))",
        r"(?:el\s+)?problema\s+(?:está\s+|quedó\s+)?(?:resuelto|solucionado|arreglado)",
    ),
    "nl": (
        r"(?:werkt|werken|draait|loopt|doet\s+het|doen\s+het|print|gaat)(?:\s+(?:het|alles|nu|bij\s+mij|ook))*"
        r"\s+weer(?:\s+(?:prima|goed|perfect|normaal|naar\s+behoren))?",
        r"(?:is|alles)\s+(?:alles\s+|nu\s+)*weer\s+(?:ok|oké|goed|in\s+orde|normaal|online)",
        r"(?:crasht|hangt)\s+(?:het\s+)?niet\s+meer|loopt\s+(?:het\s+)?niet\s+meer\s+vast",
        r"geen\s+(?:fout(?:en|melding|meldingen)?|problemen|probleem|storingen|storing|crashes)\s+meer",
        r"(?:het\s+)?probleem\s+(?:is\s+)?(?:opgelost|verholpen)",
    ),
    "it": (
        r"(?:funziona|funzionano|va|gira|stampa)(?:\s+bene)?\s+(?:di\s+nuovo|nuovamente)(?:\s+bene)?",
        r"non\s+(?:si\s+blocca|si\s+pianta|crasha|va\s+in\s+crash)\s+più",
        r"non\s+dà\s+più\s+(?:errori|errore|problemi)",
        r"nessun\s+(?:problema|errore)(?:\s+più)?",
        r"(?:il\s+)?problema\s+(?:è\s+)?risolto",
    ),
}


@cache
def _fixed() -> re.Pattern[str]:
    """Every confirmation, counted only where its clause ends: at a stop or sign, a line's end, or the thanks that
    follow it. Compiled when first needed (6 ms, most of this module's import, paid by every web worker otherwise):
    only a short thank-you that also holds a turning word is looked at for them."""
    return re.compile(
        rf"\b(?:{'|'.join(phrase for phrases in FIXED.values() for phrase in phrases)})"
        rf"(?=[ \t]*(?:[^\w\s]|$|(?:{_GRATITUDE_WORDS})\b))",
        re.IGNORECASE | re.MULTILINE,
    )


_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")


def only_thanks(text: str) -> bool:
    """Whether `text` (a reply's newest part, quotes cut) is nothing but a short thank-you."""
    plain = text.replace("\u2019", "'")
    folded = " ".join(plain.split())
    if not folded or len(folded) > MAX_CHARS or "?" in folded or "\u00bf" in folded:
        return False
    words = _WORD.findall(folded.lower())
    if len(words) > MAX_WORDS or _GRATITUDE.search(folded) is None:
        return False
    if not any(_turns(word) for word in words):
        return True
    # Only now look for confirmations (the long pattern costs ten times the rest): a turning word may be one.
    return not any(_turns(word) for word in _WORD.findall(_fixed().sub(" ", plain).lower()))


def _turns(word: str) -> bool:
    """A word that turns thanks into a report: in the list, or a contraction with "not" ("doesn't", "n'est")."""
    return word in _TURNS or word.endswith("n't") or word.startswith("n'") or word.replace("'", "") in _TURNS
