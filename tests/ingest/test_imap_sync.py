"""The IMAP watcher's decisions, as pure functions: what to fetch, how the checkpoint moves, when to retry."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.mailboxes import Checkpoint
from ingest.imap_sync import (
    finish_scan,
    former_key,
    message_key,
    new_mail,
    pending_uids,
    plan_scan,
    retry_delay,
    session_ended,
)
from tests.fuzzing import fuzz


def test_checkpoint_of_the_same_folder_fetches_only_uids_after_it() -> None:
    scan = plan_scan(Checkpoint(uidvalidity=7, last_uid=41), uidvalidity=7)
    assert scan.criteria[:2] == ("UID", "42:*") and not scan.rescan


def test_first_look_rescans_unseen_mail() -> None:
    scan = plan_scan(Checkpoint(), uidvalidity=7)
    assert scan.rescan and "UNSEEN" in scan.criteria and scan.start == Checkpoint(7, 0)


def test_changed_uidvalidity_discards_the_old_checkpoint_and_rescans() -> None:
    scan = plan_scan(Checkpoint(uidvalidity=7, last_uid=500), uidvalidity=8)
    assert scan.rescan and scan.start == Checkpoint(8, 0)


def test_scans_never_fetch_messages_marked_for_deletion() -> None:
    assert all(
        plan.criteria[-2:] == ("NOT", "DELETED")
        for plan in (plan_scan(Checkpoint(7, 3), 7), plan_scan(Checkpoint(), 7))
    )


def test_pending_uids_drop_the_newest_message_that_uid_range_star_always_matches() -> None:
    # `UID 42:*` on a folder whose newest UID is 41 returns 41.
    assert pending_uids([41], plan_scan(Checkpoint(7, 41), 7), limit=10) == []


def test_pending_uids_are_oldest_first_and_limited() -> None:
    assert pending_uids([9, 3, 5, 3, 7], plan_scan(Checkpoint(7, 2), 7), limit=3) == [3, 5, 7]


def test_checkpoint_advances_to_the_last_uid_handled() -> None:
    scan = plan_scan(Checkpoint(7, 2), 7)
    assert finish_scan(scan, [3, 5], complete=False, uidnext=10) == Checkpoint(7, 5)


def test_checkpoint_stays_when_nothing_was_handled() -> None:
    scan = plan_scan(Checkpoint(7, 2), 7)
    assert finish_scan(scan, [], complete=False, uidnext=10) == Checkpoint(7, 2)


def test_complete_rescan_jumps_past_read_mail_it_skipped() -> None:
    # Read messages up to UID 9 were not imported on purpose; later scans by UID must not pick them up.
    scan = plan_scan(Checkpoint(), 8)
    assert finish_scan(scan, [4], complete=True, uidnext=10) == Checkpoint(8, 9)


def test_interrupted_rescan_is_repeated_rather_than_trusted() -> None:
    scan = plan_scan(Checkpoint(7, 100), 8)
    assert finish_scan(scan, [4], complete=False, uidnext=10) == Checkpoint(None, 0)


def test_retry_delay_doubles_up_to_the_cap() -> None:
    assert [retry_delay(n, cap=10) for n in range(6)] == [0.0, 1.0, 2.0, 4.0, 8.0, 10]


def test_retry_delay_survives_very_many_failures() -> None:
    assert retry_delay(10_000, cap=300) == 300


def test_exists_response_means_new_mail_and_keepalives_do_not() -> None:
    assert new_mail([(3, b"EXISTS")])
    assert not new_mail([(b"OK", b"Still here")])
    assert not new_mail([(2, b"EXPUNGE")])


def test_bye_during_idle_means_the_session_ended_and_keepalives_do_not() -> None:
    assert session_ended([(b"BYE", b"Server", b"shutting", b"down.")])
    assert not session_ended([(b"OK", b"Still here"), (3, b"EXISTS")])


def test_message_key_is_the_message_id() -> None:
    raw = b"From: a@example.com\r\nMessage-ID: <abc@example.com>\r\n\r\nbody\r\n"
    assert message_key(raw) == "<abc@example.com>"


def test_message_key_reads_a_folded_message_id() -> None:
    raw = b"Message-Id:\r\n <folded@example.com>\r\nSubject: x\r\n\r\nbody\r\n"
    assert message_key(raw) == "<folded@example.com>"


def test_message_key_ignores_message_ids_in_the_body() -> None:
    raw = b"Subject: x\r\n\r\nMessage-ID: <in-body@example.com>\r\n"
    assert message_key(raw).startswith("sha256:")


def test_message_ids_differing_only_in_bytes_that_are_not_utf8_are_two_keys() -> None:
    """Found by fuzzing: each such byte was decoded to U+FFFD, and the second message skipped as already received."""
    one, other = (
        message_key(b"Message-ID: <\xe9t\xe9@example.com>\r\n\r\n"),
        message_key(b"Message-ID: <\xe8t\xe8@example.com>\r\n\r\n"),
    )
    assert one != other and one == "<\\xe9t\\xe9@example.com>"


@pytest.mark.parametrize(
    ("message_id", "former"),
    [(b"<\xe9t\xe9@example.com>", "<\ufffdt\ufffd@example.com>"),  # not UTF-8: a U+FFFD a byte
     (b"<caf\xc3\xa9@example.com>", "<caf\ufffd\ufffd@example.com>"),  # UTF-8, but not ASCII
     (b"<a\x00b@example.com>", "<a\x00b@example.com>")],  # a control character: kept, now the digest
)  # fmt: skip
def test_the_former_key_is_the_one_versions_before_escaping_gave(message_id: bytes, former: str) -> None:
    raw = b"Message-ID: " + message_id + b"\r\n\r\nhi\r\n"
    assert former_key(raw) == former != message_key(raw)


def test_a_message_keyed_as_it_always_was_has_no_former_key() -> None:
    assert former_key(b"Message-ID: <ann.1@example.com>\r\n\r\n") is None
    assert former_key(b"Subject: no Message-ID\r\n\r\nhi\r\n") is None


def test_a_message_id_holding_a_control_character_is_keyed_by_the_digest_of_the_message() -> None:
    assert message_key(b"Message-ID: <a\x00b@example.com>\r\n\r\nhi\r\n").startswith("sha256:")


@fuzz(300)
@given(st.binary(max_size=200), st.sampled_from([b" <", b"<", b"\r\n <", b""]), st.binary(max_size=40))
def test_any_message_is_keyed_by_one_line_of_printable_utf8(before: bytes, opening: bytes, inside: bytes) -> None:
    """What a fetched message is remembered by (stored, and compared on every later fetch)."""
    key = message_key(before + b"\r\nMessage-ID:" + opening + inside + b">\r\n\r\nhi")
    assert key and not re.search(r"[\x00-\x1f\x7f]", key) and key.encode("utf-8")


def test_message_without_message_id_is_keyed_by_its_content() -> None:
    one, other = b"Subject: x\r\n\r\none\r\n", b"Subject: x\r\n\r\nother\r\n"
    assert message_key(one) == message_key(one) != message_key(other)
