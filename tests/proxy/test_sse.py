from __future__ import annotations

from headroom.proxy.sse import SSEDecoder, SSEEvent, encode, encode_all, parse_sse


def test_events_split_across_chunks_anywhere_decode_whole() -> None:
    raw = (
        b'event: content_block_delta\ndata: {"text":"caf\xc3\xa9"}\n\n'
        b'event: message_stop\ndata: {"type":"message_stop"}\n\n'
    )
    for size in range(1, len(raw) + 1):
        pieces = [raw[i : i + size] for i in range(0, len(raw), size)]
        events = list(parse_sse(pieces))
        assert [e.event for e in events] == ["content_block_delta", "message_stop"]
        assert events[0].data == '{"text":"café"}'


def test_unchanged_events_encode_to_the_bytes_they_arrived_as() -> None:
    raw = b'event: ping\r\ndata: {"type": "ping"}\r\n\r\ndata: [DONE]\n\n'
    events = list(parse_sse([raw]))
    assert encode_all(events) == raw
    assert [e.data for e in events] == ['{"type": "ping"}', "[DONE]"]


def test_crlf_split_between_chunks_is_one_line_end() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r") == []
    assert decoder.feed(b"\n\r") == []
    events = decoder.feed(b"\n")
    assert [e.data for e in events] == ["a"]


def test_multiline_data_joins_with_newlines_and_comments_are_kept_raw() -> None:
    events = list(parse_sse([b": keep-alive\n\ndata: one\ndata: two\nid: 7\n\n"]))
    assert events[0].comment and events[0].raw == b": keep-alive\n\n"
    assert events[1] == SSEEvent(None, "one\ntwo", b"data: one\ndata: two\nid: 7\n\n")


def test_a_stream_that_ends_without_a_blank_line_still_gives_its_last_event() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b'data: {"a":1}') == []
    assert [e.data for e in decoder.close()] == ['{"a":1}']


def test_rewritten_event_is_encoded_afresh() -> None:
    event = next(iter(parse_sse([b"event: x\ndata: old\n\n"])))
    assert encode(event.with_data("new\nline")) == b"event: x\ndata: new\ndata: line\n\n"
    assert encode(SSEEvent(None, "[DONE]")) == b"data: [DONE]\n\n"
