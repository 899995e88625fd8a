"""Weekly availability as quarter-hour bitmaps, and how much of a concrete window they cover.

A week has 7 x 96 = 672 quarter-hour slots, Monday 00:00 first. A person's weekly slots become
672 booleans (packed to 84 bytes); a task's window in Asia/Shanghai becomes 672 weights (minutes
of the window falling in each slot, summed over every week the window touches). The share of
the window a person covers is then one dot product.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
SLOT_MINUTES = 15
SLOTS_PER_DAY = 24 * 60 // SLOT_MINUTES
WEEK_SLOTS = 7 * SLOTS_PER_DAY
PACKED_BYTES = WEEK_SLOTS // 8
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
DAY_NAMES_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _minutes(hhmm: str) -> int:
    """'09:30' -> 570 ('24:00' -> 1440)."""
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def week_bitmap(slots: Iterable[tuple[str, str, str]]) -> NDArray[np.bool_]:
    """(day, 'HH:MM', 'HH:MM') slots -> 672 booleans; partial quarters round inward (never over-claim)."""
    bits = np.zeros(WEEK_SLOTS, dtype=bool)
    for day, start, end in slots:
        base = DAYS.index(day) * SLOTS_PER_DAY
        first = -(-_minutes(start) // SLOT_MINUTES)  # ceil
        last = _minutes(end) // SLOT_MINUTES  # floor
        if last > first:
            bits[base + first:base + last] = True
    return bits


def window_weights(starts_at: dt.datetime, ends_at: dt.datetime) -> NDArray[np.float64]:
    """Minutes of [starts_at, ends_at) in each weekly quarter-hour slot, in Asia/Shanghai time.

    Windows crossing midnight or spanning several days are handled; a window longer than four
    weeks is cut at four weeks (its share of coverage no longer changes).
    """
    start = starts_at.astimezone(LOCAL_TZ).replace(tzinfo=None)
    end = min(ends_at.astimezone(LOCAL_TZ).replace(tzinfo=None), start + dt.timedelta(weeks=4))
    weights = np.zeros(WEEK_SLOTS)
    monday = dt.datetime.combine(start.date() - dt.timedelta(days=start.weekday()), dt.time())
    cursor = start
    while cursor < end:
        offset = int((cursor - monday).total_seconds() // 60)
        slot = offset // SLOT_MINUTES
        slot_end = monday + dt.timedelta(minutes=(slot + 1) * SLOT_MINUTES)
        step_end = min(slot_end, end)
        weights[slot % WEEK_SLOTS] += (step_end - cursor).total_seconds() / 60
        cursor = step_end
    return weights


def byte_span(weights: NDArray[np.float64]) -> slice:
    """The packed bytes that hold every slot the window touches (a 3-hour window: 2 of 84)."""
    touched = np.flatnonzero(weights)
    if len(touched) == 0:
        return slice(0, 0)
    return slice(int(touched[0]) // 8, int(touched[-1]) // 8 + 1)


def coverage(packed: NDArray[np.uint8], weights: NDArray[np.float64]) -> NDArray[np.float64]:
    """Share of the window each person is free for: (k, 84) packed bitmaps -> (k,) in [0, 1].

    Only the bytes the window touches are unpacked, so a short window costs a few columns, not 672.
    """
    span = byte_span(weights)
    return coverage_of_bytes(packed[:, span], weights[span.start * 8:span.stop * 8], weights.sum())


_BYTE_BITS = np.unpackbits(np.arange(256, dtype=np.uint8)[:, None], axis=1).astype(np.float64)  # (256, 8)


def coverage_of_bytes(packed: NDArray[np.uint8], weights: NDArray[np.float64], total: float) -> NDArray[np.float64]:
    """`coverage` for bitmaps already cut to the window's bytes, with the matching slice of weights.

    Nothing is unpacked: a (bytes, 256) table holds the window minutes each value of each byte
    covers, and each person's coverage is the sum of one table entry per byte.
    """
    if total <= 0 or len(packed) == 0:
        return np.zeros(len(packed))
    table = weights.reshape(-1, 8) @ _BYTE_BITS.T  # (bytes, 256)
    minutes = table[0].take(packed[:, 0])
    for b in range(1, packed.shape[1]):  # a few bytes: one 1-D gather each beats a 2-D fancy index
        minutes += table[b].take(packed[:, b])
    covered: NDArray[np.float64] = np.clip(minutes / total, 0.0, 1.0)
    return covered


def free_spans(bits: NDArray[np.bool_], weights: NDArray[np.float64]) -> list[tuple[int, int, int]]:
    """The runs of slots where the person is free during the window: (day, start_min, end_min)."""
    slots = np.flatnonzero(bits & (weights > 0))
    if len(slots) == 0:
        return []
    # A run ends where the next free slot is not adjacent, or falls on another day.
    breaks = np.flatnonzero((np.diff(slots) != 1) | (np.diff(slots // SLOTS_PER_DAY) != 0)) + 1
    spans = []
    for run in np.split(slots, breaks):
        day = int(run[0]) // SLOTS_PER_DAY
        start = (int(run[0]) % SLOTS_PER_DAY) * SLOT_MINUTES
        spans.append((day, start, start + len(run) * SLOT_MINUTES))
    return spans


def format_span(day: int, start: int, end: int, chinese: bool) -> str:
    """'周六 09:00–12:00 有空' or 'free Sat 09:00–12:00'."""
    text = f"{start // 60:02d}:{start % 60:02d}–{end // 60:02d}:{end % 60:02d}"
    return f"{DAY_NAMES_ZH[day]} {text} 有空" if chinese else f"free {DAY_NAMES_EN[day]} {text}"
