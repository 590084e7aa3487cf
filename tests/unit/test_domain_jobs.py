"""The job status machine, rescheduling rules, notes, and the no-double-booking rule (pure, no I/O)."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from hero365.erp.domain.errors import Conflict, IllegalTransition, InvalidInput
from hero365.erp.domain.jobs import OPEN_STATUSES, TRANSITIONS, Job, JobStatus, ensure_free

CHI = ZoneInfo("America/Chicago")
AT = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


def job(number: int = 42, status: JobStatus = JobStatus.SCHEDULED, start: datetime | None = None,
        minutes: int = 60, id_: int | None = None) -> Job:
    return Job(business_id=1, number=number, title="Fix sink", contact_id=1, status=status,
               scheduled_start=start or datetime(2026, 11, 24, 9, tzinfo=CHI), duration_minutes=minutes, id=id_)


def test_a_job_moves_scheduled_to_in_progress_to_completed_and_keeps_its_history() -> None:
    j = job()
    j.change_status(JobStatus.IN_PROGRESS, AT, user_id=7)
    j.change_status(JobStatus.COMPLETED, AT + timedelta(hours=1), user_id=7, reason="done")
    assert j.status == JobStatus.COMPLETED
    assert [(h.from_status, h.to_status) for h in j.history] == [
        (JobStatus.SCHEDULED, JobStatus.IN_PROGRESS), (JobStatus.IN_PROGRESS, JobStatus.COMPLETED)]
    assert j.history[1].reason == "done" and j.history[1].user_id == 7
    assert j.updated_at == AT + timedelta(hours=1)
    assert not j.is_open


def test_moving_a_job_to_the_status_it_has_says_it_already_has_it() -> None:
    j = job(status=JobStatus.COMPLETED)
    with pytest.raises(IllegalTransition, match=r"^Job 42 is already completed\.$"):
        j.change_status(JobStatus.COMPLETED, AT)
    assert j.history == []


@pytest.mark.parametrize("final", [JobStatus.COMPLETED, JobStatus.CANCELLED])
@pytest.mark.parametrize("to", list(JobStatus))
def test_completed_and_cancelled_jobs_are_final(final, to) -> None:
    j = job(status=final)
    with pytest.raises(IllegalTransition, match="Job 42 is"):
        j.change_status(to, AT)
    assert j.status == final and j.history == []


def test_an_illegal_move_names_both_statuses_in_words() -> None:
    with pytest.raises(IllegalTransition) as err:
        job(status=JobStatus.CANCELLED).change_status(JobStatus.IN_PROGRESS, AT)
    assert err.value.message == "Job 42 is cancelled; it can't be moved to in progress."


def test_every_open_status_can_reach_completed_and_cancelled_and_on_hold_can_resume() -> None:
    for status in OPEN_STATUSES:
        assert {JobStatus.COMPLETED, JobStatus.CANCELLED} <= TRANSITIONS[status]
    assert JobStatus.IN_PROGRESS in TRANSITIONS[JobStatus.ON_HOLD]
    assert JobStatus.SCHEDULED not in TRANSITIONS[JobStatus.IN_PROGRESS]


def test_rescheduling_moves_the_time_clears_confirmation_and_takes_a_held_job_off_hold() -> None:
    j = job(status=JobStatus.ON_HOLD)
    j.confirmed_at = AT
    new = datetime(2026, 11, 25, 13, tzinfo=CHI)
    j.reschedule(new, 90, AT)
    assert j.scheduled_start == new and j.duration_minutes == 90
    assert j.scheduled_end == new + timedelta(minutes=90)
    assert j.status == JobStatus.SCHEDULED and j.history[-1].reason == "rescheduled"
    assert j.confirmed_at is None


def test_a_closed_job_cannot_be_rescheduled() -> None:
    j = job(status=JobStatus.COMPLETED)
    before = j.scheduled_start
    with pytest.raises(IllegalTransition, match="can't be rescheduled"):
        j.reschedule(datetime(2026, 11, 25, 13, tzinfo=CHI), None, AT)
    assert j.scheduled_start == before


def test_a_job_time_needs_a_zone_and_a_sane_length() -> None:
    with pytest.raises(InvalidInput, match="time zone"):
        job().reschedule(datetime(2026, 11, 25, 13), None, AT)
    with pytest.raises(InvalidInput, match="between 5 minutes and a day"):
        job().reschedule(datetime(2026, 11, 25, 13, tzinfo=CHI), 2, AT)
    with pytest.raises(InvalidInput, match="between 5 minutes and a day"):
        job().reschedule(datetime(2026, 11, 25, 13, tzinfo=CHI), 24 * 60 + 1, AT)


def test_notes_are_trimmed_and_an_empty_note_is_refused() -> None:
    j = job()
    note = j.add_note("  bring the long ladder ", AT, user_id=3)
    assert note.text == "bring the long ladder" and j.notes == [note]
    with pytest.raises(InvalidInput, match="The note is empty"):
        j.add_note("   ", AT)
    assert len(j.notes) == 1


def test_a_technician_is_never_booked_on_two_open_jobs_at_once() -> None:
    booked = job(number=7, start=datetime(2026, 11, 24, 9, tzinfo=CHI), minutes=120, id_=1)
    with pytest.raises(Conflict, match=r"^Tina is already booked on job 7 at that time\.$"):
        ensure_free("Tina", datetime(2026, 11, 24, 10, 30, tzinfo=CHI), 60, [booked])
    # back to back is fine, and a job the booking replaces is ignored
    ensure_free("Tina", datetime(2026, 11, 24, 11, tzinfo=CHI), 60, [booked])
    ensure_free("Tina", datetime(2026, 11, 24, 8, tzinfo=CHI), 60, [booked])
    ensure_free("Tina", datetime(2026, 11, 24, 10, tzinfo=CHI), 60, [booked], ignore_job_id=1)


def test_cancelled_and_completed_jobs_do_not_block_the_technician() -> None:
    for status in (JobStatus.CANCELLED, JobStatus.COMPLETED):
        ensure_free("Tina", datetime(2026, 11, 24, 9, tzinfo=CHI), 60, [job(status=status)])


def test_overlap_is_judged_on_instants_across_time_zones() -> None:
    booked = job(start=datetime(2026, 11, 24, 9, tzinfo=CHI))  # 15:00 UTC
    with pytest.raises(Conflict):
        ensure_free("Tina", datetime(2026, 11, 24, 15, 30, tzinfo=UTC), 30, [booked])


def test_the_address_line_skips_missing_parts() -> None:
    j = job()
    j.street, j.city, j.state, j.postal_code = "100 Main St", "Austin", "TX", "78701"
    assert j.address_line == "100 Main St, Austin, TX 78701"
    j.street, j.postal_code = None, None
    assert j.address_line == "Austin, TX"
    assert JobStatus.IN_PROGRESS.spoken == "in progress"
