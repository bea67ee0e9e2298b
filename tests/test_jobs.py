"""The background job queue: order, one at a time, stop, cancel, failure, queue positions."""

import threading

from core.jobs import (
    CANCELLED,
    DONE,
    FAILED,
    KEEP_FINISHED_S,
    QUEUED,
    RUNNING,
    STOPPED,
    JobFailed,
    JobQueue,
)


def blocked_queue() -> tuple[JobQueue, threading.Event, threading.Event]:
    """A queue whose first job runs until `gate` is set; `started` says it is running."""
    queue = JobQueue()
    gate, started = threading.Event(), threading.Event()

    def block(job):
        started.set()
        gate.wait(10)
        return "unblocked"

    queue.submit("blocker", block)
    assert started.wait(5)
    return queue, gate, started


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


def test_cancel_takes_a_waiting_job_out_of_the_queue_at_once():
    queue, gate, _ = blocked_queue()
    ran = threading.Event()
    waiting = queue.submit("waiting", lambda job: ran.set())
    behind = queue.submit("behind", lambda job: "ran")
    assert waiting.state == QUEUED and queue.position(behind) == 2
    assert queue.cancel(waiting)
    assert waiting.state == CANCELLED and waiting.finished and waiting.wait(0)
    assert queue.position(waiting) == 0 and queue.position(behind) == 1
    assert not queue.cancel(waiting)  # nothing left to take out
    gate.set()
    assert behind.wait(5) and behind.result == "ran"
    assert not ran.is_set() and waiting.result is None


def test_a_running_job_cannot_be_cancelled_and_reads_running():
    queue, gate, _ = blocked_queue()
    [running] = queue.jobs()
    assert running.state == RUNNING and queue.position(running) == 0
    assert not queue.cancel(running)
    gate.set()
    assert running.wait(5) and running.state == DONE and running.result == "unblocked"


def test_a_stop_the_work_never_saw_leaves_the_job_done():
    queue, gate, _ = blocked_queue()
    [job] = queue.jobs()
    job.stop()  # the work never looks at stop_requested again: it finishes its work
    assert job.stop_asked
    gate.set()
    assert job.wait(5) and job.state == DONE and job.result == "unblocked"
    job.stop()  # a stop after the end changes nothing either
    assert job.state == DONE


def test_finished_jobs_are_forgotten_an_hour_after_they_end():
    queue, gate, _ = blocked_queue()
    [blocker] = queue.jobs()
    old = queue.submit("old", lambda job: 1)
    waiting = queue.submit("waiting", lambda job: 2)
    assert queue.cancel(old)
    recent = queue.submit("recent", lambda job: 3)
    assert queue.cancel(recent)
    old.finished_at -= KEEP_FINISHED_S + 1
    newest = queue.submit("newest", lambda job: 4)
    kept = {job.id for job in queue.jobs()}
    assert old.id not in kept and queue.get(old.id) is None
    assert {j.id for j in (blocker, waiting, recent, newest)} <= kept  # running, queued, recent
    gate.set()
    assert newest.wait(5) and newest.result == 4
