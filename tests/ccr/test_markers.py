from __future__ import annotations

from headroom.ccr import ccr_id, marker, marker_ids


def test_marker_names_what_was_left_out_and_how_to_get_it_back() -> None:
    key = ccr_id("x")
    text = marker(
        ccr_id=key, omitted=412, total=450, unit="rows", detail="status=ok ×398, status=retry ×14"
    )
    assert text == (
        f"[headroom: 412 of 450 rows omitted (status=ok ×398, status=retry ×14); "
        f"headroom_retrieve id={key}]"
    )


def test_marker_names_line_ranges_and_singularizes() -> None:
    key = ccr_id("y")
    text = marker(ccr_id=key, omitted=1, unit="functions", ranges=[(120, 245), (300, 300)])
    assert text == f"[headroom: 1 function omitted, lines 120–245, 300; headroom_retrieve id={key}]"


def test_marker_ids_finds_every_marker_in_order() -> None:
    a, b = ccr_id("a"), ccr_id("b")
    first = marker(ccr_id=a, omitted=3, unit="lines")
    second = marker(ccr_id=b, omitted=2, unit="rows")
    text = f"x\n{first}\ny {second}"
    assert marker_ids(text) == [a, b]
    assert marker_ids("headroom_retrieve id=hr_nothex") == []
