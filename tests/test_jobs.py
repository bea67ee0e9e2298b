"""The background job queue: order, one at a time, stop, failure, queue positions."""

import threading

from core.jobs import CANCELLED, DONE, FAILED, STOPPED, JobFailed, JobQueue


def test_jobs_run_one_at_a_time_in_order_with_positions():
    queue = JobQueue()
    gate = threading.Event()
    order: list[str] = []

    def work(name):
        def run(job):
            gate.wait(5)
            order.append(name)
            job.publish("step", name=name)
            return name.upper()
        return run

    first = queue.submit("a", work("a"))
    second = queue.submit("b", work("b"))
    third = queue.submit("c", work("c"))
    assert first.wait(0.2) is False  # blocked on the gate, so nothing finished yet
    assert queue.position(second) == 1 and queue.position(third) == 2
    gate.set()
    assert third.wait(10)
    assert order == ["a", "b", "c"]
    assert [j.state for j in (first, second, third)] == [DONE, DONE, DONE]
    assert second.result == "B" and second.events()[0]["name"] == "b"


def test_stop_is_seen_by_running_work_and_cancels_queued_jobs():
    queue = JobQueue()
    started = threading.Event()

    def loop(job):
        started.set()
        steps = 0
        while not job.stop_requested:
            steps += 1
            job.stop_requested or threading.Event().wait(0.01)
        return steps

    running = queue.submit("loop", loop)
    waiting = queue.submit("never", lambda job: "ran")
    assert started.wait(5)
    waiting.stop()
    running.stop()
    assert waiting.wait(5)
    assert running.state == STOPPED and running.result >= 1
    assert waiting.state == CANCELLED and waiting.result is None


def test_failures_are_reported_and_the_worker_keeps_going():
    queue = JobQueue()

    def explode(job):
        raise JobFailed("loss became NaN")

    def crash(job):
        raise ZeroDivisionError("boom")

    failed = queue.submit("nan", explode)
    crashed = queue.submit("crash", crash)
    after = queue.submit("fine", lambda job: 42)
    assert after.wait(5)
    assert failed.state == FAILED and failed.error == "loss became NaN"
    assert crashed.state == FAILED and "ZeroDivisionError" in crashed.error
    assert any(e["kind"] == "traceback" for e in crashed.events())
    assert after.result == 42
