"""The thread policy's decisions (runtime/device.py), given fake load readings, and the
``/proc`` parsers it reads the load with. No timings."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

from explicate.runtime import device

PROC_STAT = """cpu  21492 0 5002 56970 602 0 89 51 0 0
cpu0 100 5 20 800 40 0 3 2 0 0
cpu1 300 0 50 600 10 1 4 7 99 0
cpu12 9 9 9 9 9 9 9 9 0 0
intr 261753 0 0 0
ctxt 123
"""


@pytest.fixture(autouse=True)
def fresh_reading(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No cached reading and no EXPLICATE_THREADS, in and after each test."""
    monkeypatch.delenv(device.ENV, raising=False)
    monkeypatch.setattr(device, "_LOAD", None)
    yield


def load(monkeypatch: pytest.MonkeyPatch, cores: int, busy: float | None) -> list[int]:
    """Pretend the process has ``cores`` cores and other work keeps ``busy`` of them busy;
    the returned list grows by one per reading taken."""
    calls: list[int] = []

    def reader() -> float | None:
        calls.append(1)
        return busy

    monkeypatch.setattr(device, "usable_cores", lambda: cores)
    monkeypatch.setattr(device, "_reader", reader)
    return calls


def no_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    def reader() -> float | None:
        raise AssertionError("the load was read")

    monkeypatch.setattr(device, "_reader", reader)


BIG = device.SMALL_WORK // 8  # above MIN_PARALLEL_WORK, below SMALL_WORK


@pytest.mark.parametrize(
    ("cores", "busy", "want"),
    [
        (2, 0.0, 2),  # idle machine: both cores
        (2, 0.3, 2),  # a light background job leaves 70% of a core: still worth a thread
        (2, 0.5, 1),  # half a core is not worth a second thread (FREE_SHARE)
        (2, 2.0, 1),  # two busy loops: one thread
        (2, 9.0, 1),  # a shared machine at load 10
        (4, 1.0, 3),  # one core taken of four
        (4, 0.0, 4),
        (1, 0.0, 1),
    ],
)
def test_threads_follow_the_idle_cores(
    monkeypatch: pytest.MonkeyPatch, cores: int, busy: float, want: int
) -> None:
    load(monkeypatch, cores, busy)
    assert device.threads_for(BIG) == want
    assert device.threads_for(device.SMALL_WORK * 4) == want  # large work: the same rule


def test_work_that_never_pays_runs_on_one_thread_without_reading_the_load(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    no_reading(monkeypatch)
    monkeypatch.setattr(device, "usable_cores", lambda: 8)
    assert device.threads_for(device.MIN_PARALLEL_WORK - 1) == 1
    assert device.threads_for(0) == 1


def test_the_setting_overrides_the_load(monkeypatch: pytest.MonkeyPatch) -> None:
    no_reading(monkeypatch)
    monkeypatch.setenv(device.ENV, "3")
    assert device.threads_for(BIG) == 3
    assert device.threads_for(10) == 1  # tiny regions stay on one thread
    monkeypatch.setenv(device.ENV, "1")
    assert device.threads_for(device.SMALL_WORK * 4) == 1
    monkeypatch.setenv(device.ENV, "two")
    with pytest.raises(ValueError, match="EXPLICATE_THREADS must be a positive integer"):
        device.threads_for(BIG)


def test_without_a_load_reading_the_work_alone_decides(monkeypatch: pytest.MonkeyPatch) -> None:
    load(monkeypatch, 2, None)
    assert device.threads_for(BIG) == 1
    assert device.threads_for(device.SMALL_WORK) == 2


def test_a_reading_is_reused_for_load_ttl_then_taken_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = load(monkeypatch, 2, 0.0)
    clock = [1000.0]
    monkeypatch.setattr(device.time, "monotonic", lambda: clock[0])
    device.threads_for(BIG)
    device.threads_for(BIG)
    clock[0] += device.LOAD_TTL / 2
    device.threads_for(BIG)
    assert len(calls) == 1
    clock[0] += device.LOAD_TTL
    device.threads_for(BIG)
    assert len(calls) == 2


def test_the_decision_changes_with_the_load(monkeypatch: pytest.MonkeyPatch) -> None:
    readings = iter([0.0, 2.0, 0.1])
    monkeypatch.setattr(device, "usable_cores", lambda: 2)
    monkeypatch.setattr(device, "_reader", lambda: next(readings))
    clock = [0.0]
    monkeypatch.setattr(device.time, "monotonic", lambda: clock[0])
    got = []
    for _ in range(3):
        got.append(device.threads_for(BIG))
        clock[0] += device.LOAD_TTL
    assert got == [2, 1, 2]


def test_thread_policy_sets_and_restores_torch_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    load(monkeypatch, 2, 2.0)
    before = torch.get_num_threads()
    with device.thread_policy(BIG) as n:
        assert n == 1 and torch.get_num_threads() == 1
    assert torch.get_num_threads() == before


def test_the_reader_averages_cpu_time_over_a_window_else_counts_the_run_queue(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hz = 100.0
    monkeypatch.setattr(device.os, "sysconf", lambda name: hz)
    monkeypatch.setattr(device, "others_runnable", lambda: 5.0)
    # 1 s apart: 150 busy ticks on our cores, 40 of them ours -> 1.1 cores of other work
    ticks = iter([device.CpuTicks(11.0, 1150, 540), device.CpuTicks(30.0, 9999, 999)])
    monkeypatch.setattr(device, "read_ticks", lambda: next(ticks))
    monkeypatch.setattr(device, "_TICKS", device.CpuTicks(10.0, 1000, 500))
    assert device._reader() == pytest.approx(1.1)
    assert device._reader() == 5.0  # 19 s since the last reading: too stale, the queue now
    monkeypatch.setattr(device, "_TICKS", None)
    monkeypatch.setattr(device, "read_ticks", lambda: None)
    assert device._reader() == 5.0


def test_proc_parsers() -> None:
    # cpu0: 100+5+20+0+3+2 busy; cpu1: 300+50+1+4+7 (idle and iowait left out; guest time
    # is inside user already)
    assert device.busy_ticks(PROC_STAT, {0}) == 130
    assert device.busy_ticks(PROC_STAT, {0, 1}) == 130 + 362
    assert device.busy_ticks(PROC_STAT, {5}) == 0
    line = "4242 (a (weird) name) S 1 2 3 4 5 6 7 8 9 10 250 31 0 0 20 0 3 0"
    assert device.own_ticks(line) == 281
    assert device.runnable_tasks("0.64 0.40 0.19 5/108 8275\n") == 5
    before = device.CpuTicks(0.0, 100, 50)
    assert device.busy_from(before, device.CpuTicks(2.0, 500, 50), 100.0) == pytest.approx(2.0)
    assert device.busy_from(before, device.CpuTicks(2.0, 150, 100), 100.0) == 0.0  # all ours


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_the_real_readers_read_this_machine() -> None:
    first = device.read_ticks()
    assert first is not None and first.busy > 0
    x = 0
    for i in range(3_000_000):  # burn some CPU: this process's ticks grow
        x += i
    second = device.read_ticks()
    assert second is not None and second.own > first.own and second.busy >= first.busy
    others = device.others_runnable()
    assert others is not None and others >= 0.0
