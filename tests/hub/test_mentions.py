"""Finding @mentions in a note and matching them to users (pure)."""

from __future__ import annotations

from hub import mentions
from hub.mentions import Mentions

PEOPLE = ["bob@example.com", "ann@a.example", "ann@b.example", "o.brien@example.com"]


def test_a_name_after_an_at_sign_is_a_mention() -> None:
    assert mentions.handles("@bob can you look?") == ("bob",)


def test_a_whole_address_after_an_at_sign_is_a_mention() -> None:
    assert mentions.handles("cc @Bob@Example.com please") == ("bob@example.com",)


def test_an_address_written_out_is_not_a_mention() -> None:
    assert mentions.handles("mail bob@example.com or see foo.@bar") == ()


def test_punctuation_after_a_name_is_not_part_of_it() -> None:
    assert mentions.handles("Thanks @bob. And @o.brien, and (@ann@a.example).") == ("bob", "o.brien", "ann@a.example")


def test_each_name_counts_once_in_the_order_written() -> None:
    assert mentions.handles("@bob @ann @bob") == ("bob", "ann")


def test_at_most_twenty_names_are_taken() -> None:
    assert len(mentions.handles(" ".join(f"@user{i}" for i in range(30)))) == mentions.MOST


def test_a_bare_name_matches_the_one_address_that_starts_with_it() -> None:
    assert mentions.resolve(["bob", "o.brien"], PEOPLE) == Mentions(("bob@example.com", "o.brien@example.com"))


def test_a_bare_name_two_addresses_share_is_ambiguous() -> None:
    assert mentions.resolve(["ann"], PEOPLE) == Mentions(ambiguous=("ann",))


def test_a_whole_address_matches_only_exactly() -> None:
    assert mentions.resolve(["ann@a.example", "bob@example.org"], PEOPLE) == Mentions(
        ("ann@a.example",), unknown=("bob@example.org",)
    )


def test_the_writer_is_told_which_names_reached_no_one() -> None:
    said = Mentions(unknown=("carl",), ambiguous=("ann",))
    assert mentions.refusals(said) == (
        "no user is called @carl; @ann could be more than one user; write the whole address"
    )
    assert mentions.refusals(Mentions(("bob@example.com",))) == ""


def test_a_colleague_is_suggested_by_the_part_before_the_at_when_no_one_else_has_it() -> None:
    assert mentions.Suggestion("bob@example.com", "bob") in mentions.suggestions(PEOPLE)


def test_colleagues_sharing_a_name_are_suggested_by_their_whole_addresses() -> None:
    offered = [s for s in mentions.suggestions(PEOPLE) if s.address.startswith("ann@")]
    assert offered == [mentions.Suggestion("ann@a.example", "ann@a.example"),
                       mentions.Suggestion("ann@b.example", "ann@b.example")]  # fmt: skip


def test_a_suggestion_carries_the_display_name_to_pick_by_while_the_handle_stays_the_address() -> None:
    offered = mentions.suggestions(PEOPLE, names={"bob@example.com": "Bob Stone"})
    assert mentions.Suggestion("bob@example.com", "bob", "Bob Stone") in offered
    assert all(s.name is None for s in offered if s.address != "bob@example.com")


def test_every_suggestion_written_in_a_note_reaches_its_colleague_and_no_one_else() -> None:
    people = [*PEOPLE, "ann.@c.example", "x_y@example.com", "bob@other.example"]
    for offered in mentions.suggestions(people):
        assert mentions.resolve(mentions.handles(f"hi @{offered.handle}, look"), people).people == (offered.address,)


def test_an_address_no_mention_could_reach_is_not_suggested() -> None:
    offered = mentions.suggestions(["_ops@example.com", "bob@example.com"])
    assert [s.address for s in offered] == ["bob@example.com"]


def test_an_apostrophe_belongs_to_the_name_so_a_name_it_joins_is_not_cut_short() -> None:
    assert mentions.handles("@o'brien, @d\u2019angelo, @o\u02bcneil") == ("o'brien", "d\u2019angelo", "o\u02bcneil")
    people = ["o@example.com", "sean.obrien@example.com"]
    assert mentions.resolve(("o'brien",), people) == Mentions(unknown=("o'brien",))


def test_an_address_with_an_apostrophe_is_reached_by_its_name() -> None:
    people = ["o'brien@example.com", "o@example.com"]
    assert mentions.resolve(mentions.handles("@o'brien, look"), people).people == ("o'brien@example.com",)
    assert [s.handle for s in mentions.suggestions(people)] == ["o'brien", "o"]


def test_a_possessive_after_a_name_still_mentions_them() -> None:
    note = "see @ann's note and @bob\u2019s, and @james'"
    said = mentions.resolve(mentions.handles(note), [*PEOPLE, "james@x.example"])
    assert said.people == ("bob@example.com", "james@x.example") and said.ambiguous == ("ann",)


def test_suggestions_stop_at_the_cap() -> None:
    assert len(mentions.suggestions([f"user{i}@example.com" for i in range(30)], most=8)) == 8
