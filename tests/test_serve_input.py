"""How serve cuts a client's bytes into pieces for the simulator: one command line, or message text up to its end."""

from tutor.transport.serve_input import COMMAND_PIECE, TEXT_PIECE, next_piece


def test_commands_go_one_line_at_a_time():
    pending = b"EHLO x\r\nNOOP\nQUIT\r\n"
    assert next_piece(pending, False, True) == len(b"EHLO x\r\n")
    assert next_piece(pending[8:], False, True) == len(b"NOOP\n")   # a bare LF ends a line too


def test_an_unfinished_command_goes_in_bounded_pieces():
    assert next_piece(b"AUTH PLAIN AAAA", False, True) == len(b"AUTH PLAIN AAAA")
    assert next_piece(b"A" * (COMMAND_PIECE * 2), False, True) == COMMAND_PIECE


def test_message_text_stops_right_after_the_end_of_data_line():
    text = b"Subject: x\r\n\r\n..stuffed\r\n.\r\nNOOP\r\nNOOP\r\n"
    assert next_piece(text, True, True) == text.index(b"NOOP")
    bare = b"hi\n.\nQUIT\n"
    assert next_piece(bare, True, True) == bare.index(b"QUIT")


def test_the_end_of_data_line_at_the_start_counts_only_after_a_line_end():
    assert next_piece(b".\r\nQUIT\r\n", True, True) == 3
    assert next_piece(b".\r\nQUIT\r\n", True, False) == len(b".\r\nQUIT\r\n")   # the "." ends an earlier line


def test_long_message_text_is_cut_at_a_line_end_within_the_window():
    text = (b"x" * 99 + b"\n") * (TEXT_PIECE // 50)
    size = next_piece(text, True, True)
    assert size <= TEXT_PIECE and text[size - 1:size] == b"\n"


def test_plain_commands_are_batched_up_to_the_limit():
    from tutor.transport.serve_input import BATCH_LINES, batch_end
    pending = b"NOOP\r\n" * (BATCH_LINES + 5)
    assert batch_end(pending, 6) == 6 * BATCH_LINES
    assert batch_end(b"NOOP\r\nRSET\r\nNOO", 6) == 12             # an unfinished line waits


def test_auth_starttls_data_and_bdat_go_alone():
    from tutor.transport.serve_input import batch_end
    for verb in (b"AUTH PLAIN AAAA", b"auth login", b"STARTTLS", b"data", b"BDAT 10 LAST"):
        assert batch_end(verb + b"\r\nNOOP\r\n", len(verb) + 2) == len(verb) + 2   # first: alone
        assert batch_end(b"NOOP\r\n" + verb + b"\r\nNOOP\r\n", 6) == 6            # stops before it
    assert batch_end(b"NOOP\r\n  AUTH PLAIN AAAA\r\n", 6) == 6   # a leading space could hide a verb: alone
