"""A MISSED benchmark row explains itself with a profile of the server: py-spy's samples,
grouped by the kind of work on their stack."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from bench import server_profile

ROOT = "_run_module_as_main (<frozen runpy>:198);Runner.run (asyncio/runners.py:118)"


def _line(frames: list[str], count: int) -> str:
    return ";".join(frames) + f" {count}"


def test_samples_are_grouped_by_the_first_marker_on_their_stack() -> None:
    raw = "\n".join(
        [
            _line(
                [
                    ROOT,
                    "RequestResponseCycle.run_asgi (uvicorn/protocols/http/httptools_impl.py:416)",
                    "SqlStore.transaction (switchboard/store/sql.py:1212)",
                ],
                6,
            ),
            _line([ROOT, "Dispatcher._run (switchboard/distribution/engine/dispatcher.py:227)"], 3),
            _line([ROOT, "Session._read (switchboard/distribution/realtime/session.py:71)"], 2),
            _line([ROOT], 4),  # the loop's own C code
            _line(["LoopConnection.execute (switchboard/store/sql.py:115)"], 1),  # cut short
        ]
    )
    profile = server_profile.parse(raw)
    assert profile.samples == {
        "HTTP requests": 6,
        "routing passes": 3,
        "worker socket commands": 2,
        server_profile.LOOP: 4,
        server_profile.CUT: 1,
    }
    assert profile.in_store == 7  # the transaction's 6 and the cut stack's 1
    assert profile.summary().startswith("HTTP requests 38%, event loop")
    assert "16 samples; 44% of them inside the store" in profile.summary()


def test_a_thread_waiting_on_its_queue_is_not_counted_as_work() -> None:
    """py-spy does not always see a thread blocked in `queue.get` as idle; the frame's
    own source line tells (concurrent.futures' worker loop, line 81 in Python 3.11)."""
    import concurrent.futures.thread as pool
    import inspect

    lines, first = inspect.getsourcelines(pool._worker)
    waits = first + next(i for i, text in enumerate(lines) if "work_queue.get(" in text)
    runs = first + next(i for i, text in enumerate(lines) if "work_item.run()" in text)
    thread = "Thread._bootstrap (threading.py:995);Thread.run (threading.py:982)"
    raw = "\n".join(
        [
            f"{thread};_worker (concurrent/futures/thread.py:{waits}) 5",
            f"{thread};_worker (concurrent/futures/thread.py:{runs}) 2",
        ]
    )
    assert server_profile.parse(raw).samples == {"database threads (reads, WAL checkpoints)": 2}


def test_a_missing_sampler_is_said_not_hidden() -> None:
    profile = server_profile.finish("py-spy is not installed")
    assert profile.total == 0
    assert profile.summary() == "no profile (py-spy is not installed)"


@pytest.mark.skipif(server_profile.py_spy() is None, reason="py-spy is in the dev extra")
def test_a_live_process_is_sampled_until_finished() -> None:
    """The real sampler on a real process: a busy loop's samples are its own."""
    busy = (
        "import time\n"
        "def spin_for_the_profile():\n"
        "    end = time.monotonic() + 30\n"
        "    while time.monotonic() < end: sum(range(1000))\n"
        "spin_for_the_profile()\n"
    )
    process = subprocess.Popen([sys.executable, "-c", busy])
    try:
        time.sleep(0.3)
        sampling = server_profile.start(process.pid)
        assert not isinstance(sampling, str), sampling
        time.sleep(1.5)
        profile = server_profile.finish(sampling)
    finally:
        process.kill()
        process.wait()
    assert profile.error is None, profile.error
    assert profile.total >= 50  # 100 Hz for 1.5 s, busy all along
    assert profile.samples[server_profile.CUT] == profile.total  # no marker, not the loop


def test_processes_profiled_together_add_up_and_compare_per_item() -> None:
    """Several processes' samples add up; set against one process's profile, each
    kind of work is priced per item from its share and the CPU per item measured
    without sampling, largest growth first."""
    from collections import Counter

    one = server_profile.Profile(Counter({"HTTP requests": 60, "routing passes": 40}), 30)
    first = server_profile.Profile(Counter({"HTTP requests": 30, "routing passes": 10}), 5)
    second = server_profile.Profile(Counter({"HTTP requests": 30, "other": 30}), 10)
    both = server_profile.merged([first, second])
    assert both.samples == {"HTTP requests": 60, "routing passes": 10, "other": 30}
    assert both.in_store == 15
    text = server_profile.compared(one, 0.010, both, 0.012)
    # HTTP 6.00 -> 7.20 ms, passes 4.00 -> 1.20, other 0 -> 3.60
    assert text == "other 0.00 -> 3.60, HTTP requests 6.00 -> 7.20, routing passes 4.00 -> 1.20"
    failed = server_profile.Profile(Counter(), error="py-spy is not installed")
    assert server_profile.merged([first, failed]) is failed
    assert (
        server_profile.compared(one, 0.01, failed, 0.01) == "no profile (py-spy is not installed)"
    )
