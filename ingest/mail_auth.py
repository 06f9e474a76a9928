"""Whether an email's From is its sender's, as the organisation's own receiving mail server found (pure).

Mail servers check SPF, DKIM and DMARC as mail comes in and say what they found in an Authentication-Results header
(RFC 8601) they prepend. Anyone can write that header too, so one is believed only when it names the configured
server (SWITCHBOARD_MAIL_AUTHSERV_ID: the authserv-id, the header's first word) and sits where only that server can
have put it.

Where a forger's header can sit: every hop prepends, so whatever came with the message lies below everything the
receiving side added, and a header with the right authserv-id further down may be the sender's own. The believed
headers are therefore the topmost run: from the first header naming the server, reading down, to the next Received
header. Whatever lies below a Received header was in the message before that hop took it in, and the sender wrote
everything below the border's own Received; so a forgery is out of the run whenever a Received header stands between
it and the server's verdict: the border's own, where the border writes its verdict above it (Postfix with milters,
rspamd), or one of the sender's own mail servers. Within the run each method's result is the topmost header's that
reports it, so a header beneath the server's own cannot contradict what the server said. What position cannot tell
apart is a forgery sent straight to a border that writes its verdict under its own Received (Gmail does), for a check
the server did not report; RFC 8601 section 5 has the server remove headers claiming its authserv-id from incoming
mail, and the docs ask for that.

The verdict, for the domain of the From address: `pass` when DMARC passed for it, or, with no DMARC result for it,
when DKIM verified a signature of an aligned domain or SPF passed for an aligned envelope sender; `fail` when DMARC
failed for it, or when SPF failed for an aligned envelope sender and DKIM, checked, verified no signature of the
domain; `softfail` when, with nothing of these, SPF soft-failed for an aligned envelope sender (RFC 7208: the
domain says the host is probably not its own, and asks for closer scrutiny, not refusal), or failed while DKIM
said nothing either way (no result, or a temporary error): unverified, but not the evidence of a forgery that a
`fail` is; `none` otherwise, also for SPF's `neutral` (which RFC 7208 treats exactly as `none`), `none`,
`temperror` and `permerror`. Text that cannot be read is skipped, so a malformed header gives `none`, never an
error.

Microsoft 365 writes its header with no authserv-id at all (it starts `spf=pass ...`): configured as `microsoft365`,
the topmost header that names none is believed, by the same rule.

Organisations with two border fleets (Microsoft 365 and an on-premises gateway, two MX providers) configure both,
comma-separated. The topmost header naming any of them says which server's run is read, and within that run the
other's headers are passed over as a stranger's are: a mail that came in through one fleet carries the other's
id only where someone wrote it, and its own border had no reason to remove it. So trusting two servers lets no
header through that the topmost of them did not stand above.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from hub.domain import UNCHECKED, SenderCheck

#: The value of SWITCHBOARD_MAIL_AUTHSERV_ID that believes a header naming no authserv-id (Exchange Online's).
MICROSOFT_365 = "microsoft365"
#: Authentication-Results headers looked at, and the characters read of each: a verdict is near the top and short,
#: and a message of thousands of such headers must not cost more than a few.
MAX_HEADERS = 50
MAX_CHARS = 16 * 1024

Token = tuple[str, str]  # (kind, text): kind is "word", "quoted", "=" or ";"


@dataclass(frozen=True)
class Result:
    """One `method=result` of a header, with its properties (`header.d`, `smtp.mailfrom`, ...) lower-cased by name."""

    method: str
    result: str
    props: Mapping[str, str]


@dataclass(frozen=True)
class Header:
    """An Authentication-Results header as read: whose (None when unreadable, "" when it names no one) and what."""

    authserv_id: str | None
    results: tuple[Result, ...]


def tokens(value: str) -> list[Token]:
    """The header's words, quoted strings, `=` and `;`, with (nested) comments dropped. Lenient: an unclosed quote
    or comment runs to the end; nothing raises."""
    found: list[Token] = []
    word: list[str] = []

    def end_word() -> None:
        if word:
            found.append(("word", "".join(word)))
            word.clear()

    i, size, depth = 0, len(value), 0
    while i < size:
        char = value[i]
        if depth:  # inside a comment
            if char == "\\":
                i += 1
            elif char == "(":
                depth += 1
            elif char == ")":
                depth -= 1
        elif char == "(":
            end_word()
            depth = 1
        elif char == '"':
            end_word()
            text: list[str] = []
            i += 1
            while i < size and value[i] != '"':
                if value[i] == "\\" and i + 1 < size:
                    i += 1
                text.append(value[i])
                i += 1
            found.append(("quoted", "".join(text)))
        elif char in ";=":
            end_word()
            found.append((char, char))
        elif char.isspace():
            end_word()
        else:
            word.append(char)
        i += 1
    end_word()
    return found


def _clauses(found: list[Token]) -> list[list[Token]]:
    clauses: list[list[Token]] = [[]]
    for token in found:
        if token[0] == ";":
            clauses.append([])
        else:
            clauses[-1].append(token)
    return clauses


def _result(clause: list[Token]) -> Result | None:
    """`method[/version]=result` and its `name=value` properties; None for a clause of another shape (`none`, or
    the bare domain older Microsoft 365 headers put between results)."""
    if len(clause) < 3 or clause[0][0] != "word" or clause[1][0] != "=" or clause[2][0] != "word":
        return None
    props: dict[str, str] = {}
    i = 3
    while i < len(clause):
        if clause[i][0] == "word" and i + 1 < len(clause) and clause[i + 1][0] == "=":
            has_value = i + 2 < len(clause) and clause[i + 2][0] in ("word", "quoted")
            props.setdefault(clause[i][1].lower(), clause[i + 2][1] if has_value else "")
            i += 3 if has_value else 2
        else:
            i += 1
    method = clause[0][1].split("/", 1)[0].lower()
    return Result(method, clause[2][1].lower(), MappingProxyType(props))


def parse_header(value: str) -> Header:
    """Read one Authentication-Results header's value (its first MAX_CHARS characters)."""
    clauses = _clauses(tokens(value[:MAX_CHARS]))
    first = clauses[0]
    if any(kind == "=" for kind, _ in first):  # no authserv-id: the first clause is already a result
        authserv_id: str | None = ""
        rest = clauses
    elif first and first[0][0] in ("word", "quoted"):
        authserv_id, rest = first[0][1].lower(), clauses[1:]
    else:
        return Header(None, ())
    return Header(authserv_id, tuple(found for clause in rest if (found := _result(clause)) is not None))


def trusted(authserv_id: str) -> dict[str, str]:
    """The servers a configured value names (one, or several comma-separated, as hub/config.py keeps it): each
    authserv-id as headers carry it, lower-cased ("" for Microsoft 365's, which names none), to its configured name."""
    names = (name.strip().lower() for name in authserv_id.split(","))
    return {("" if name == MICROSOFT_365 else name): name for name in names if name}


def believed(
    headers: Iterable[tuple[str, object]], authserv_id: str
) -> tuple[str, dict[str, tuple[Result, ...]]] | None:
    """The server believed and each method's results, from the topmost run of headers naming it: the first of the
    servers `authserv_id` names that a header names, reading down (see the module's docstring); None when no header
    names any of them."""
    wanted = trusted(authserv_id)
    found: dict[str, tuple[Result, ...]] = {}
    chosen: str | None = None
    looked = 0
    for name, value in headers:
        key = name.strip().lower()
        if key == "received":
            if chosen is not None:
                break
            continue
        if key != "authentication-results":
            continue
        looked += 1
        if looked > MAX_HEADERS:
            break
        header = parse_header(str(value))
        if header.authserv_id not in wanted or chosen not in (None, header.authserv_id):
            continue
        chosen = header.authserv_id
        for method in dict.fromkeys(result.method for result in header.results):
            if method not in found:  # the topmost header that reports a method gives its results
                found[method] = tuple(result for result in header.results if result.method == method)
    return None if chosen is None else (wanted[chosen], found)


def domain_of(value: str) -> str:
    """The domain in `ann@example.org`, `<ann@example.org>`, `@example.org` or `example.org.`, lower-cased."""
    return value.strip().strip("<>").rpartition("@")[2].strip().lower().rstrip(".")


def aligned(domain: str, other: str) -> bool:
    """Whether a checked domain speaks for the From domain: the same, or one within the other (relaxed alignment).

    DMARC's relaxed alignment compares organisational domains, which needs the public suffix list; this compares
    the names themselves, so sibling subdomains (mail.example.org for news.example.org) are not aligned here, which
    errs towards `none`. The shorter name must have a dot: `org` aligns with nothing."""
    if not domain or not other:
        return False
    if domain == other:
        return True
    shorter, longer = sorted((domain, other), key=len)
    return "." in shorter and longer.endswith("." + shorter)


def _signer(result: Result) -> str:
    """The domain a DKIM result is for: `header.d`, else the domain of `header.i` (Gmail writes only that)."""
    return domain_of(result.props.get("header.d") or result.props.get("header.i") or "")


def _about(header_from: str | None, domain: str) -> bool:
    """Whether a DMARC result is about `domain`: its `header.from` names it, or it names none at all (an empty one
    is about no domain, as Microsoft 365 writes it when there was none to check)."""
    return header_from is None or domain_of(header_from) == domain


def judge(results: Mapping[str, tuple[Result, ...]], domain: str, by: str) -> SenderCheck:
    """The verdict for `domain` from the believed results (see the module's docstring)."""
    dmarc = [r.result for r in results.get("dmarc", ()) if _about(r.props.get("header.from"), domain)]
    if "pass" in dmarc:
        return SenderCheck("pass", domain, "DMARC passed", by)
    if "fail" in dmarc:
        return SenderCheck("fail", domain, "DMARC failed", by)
    dkim = results.get("dkim", ())
    if any(r.result == "pass" and aligned(_signer(r), domain) for r in dkim):
        return SenderCheck("pass", domain, "DKIM passed", by)
    spf = [r.result for r in results.get("spf", ()) if aligned(domain_of(r.props.get("smtp.mailfrom", "")), domain)]
    if "pass" in spf:
        return SenderCheck("pass", domain, "SPF passed", by)
    # DKIM failed when it was checked and verified no signature of the domain (a temperror says nothing yet).
    dkim_checked = bool(dkim) and not any(r.result == "temperror" for r in dkim)
    if "fail" in spf:
        if dkim_checked:
            return SenderCheck("fail", domain, "SPF and DKIM failed", by)
        # As doubtful as a softfail at least: never kinder than one, which it would be as `none`.
        return SenderCheck("softfail", domain, "SPF failed and DKIM said nothing", by)
    if "softfail" in spf:
        return SenderCheck("softfail", domain, "SPF soft-failed", by)
    return SenderCheck("none", domain, f"{by} found nothing either way", by)


def check_sender(headers: Iterable[tuple[str, object]], sender: str | None, authserv_id: str | None) -> SenderCheck:
    """What the server `authserv_id` names (or the one believed of those it names) found of `sender`'s domain, from
    a message's headers in order (top first); UNCHECKED when no server is configured. Never raises."""
    if authserv_id is None:
        return UNCHECKED
    domain = domain_of(sender) if sender and "@" in sender else ""
    if not domain:
        return SenderCheck("none", None, "no sender address", authserv_id)
    found = believed(headers, authserv_id)
    if found is None:
        servers = " or ".join(trusted(authserv_id).values())
        return SenderCheck("none", domain, f"no Authentication-Results header from {servers}", authserv_id)
    return judge(found[1], domain, found[0])
