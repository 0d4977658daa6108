from __future__ import annotations

from app.domain.log_stream import ByteBudget, LineAssembler


def test_only_whole_lines_come_out_until_the_end() -> None:
    lines = LineAssembler(line_bytes=100)

    assert lines.feed(b"one\ntw") == "one\n"
    assert lines.feed(b"o\nthr") == "two\n"
    assert lines.flush() == "thr"


def test_an_unfinished_line_longer_than_the_bound_comes_out_in_pieces() -> None:
    lines = LineAssembler(line_bytes=4)

    assert lines.feed(b"abcdefghij") == "abcdefgh"
    assert lines.feed(b"k\n") == "ijk\n"


def test_a_character_split_between_reads_is_decoded_whole() -> None:
    lines = LineAssembler(line_bytes=1)
    encoded = "é\n".encode()

    assert lines.feed(encoded[:1]) == ""
    assert lines.feed(encoded[1:]) == "é\n"


def test_invalid_bytes_become_replacement_characters() -> None:
    assert LineAssembler(line_bytes=100).feed(b"\xff\n") == "\ufffd\n"


def test_the_budget_cuts_the_text_that_exceeds_it() -> None:
    budget = ByteBudget(5)

    assert budget.take("abc") == ("abc", False)
    assert budget.take("déf") == ("d", True)
    assert budget.spent


def test_the_budget_never_cuts_a_character_in_half() -> None:
    assert ByteBudget(1).take("é") == ("", True)
