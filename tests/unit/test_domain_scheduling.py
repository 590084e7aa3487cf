"""Free slots: working hours minus open jobs, on the business's wall clock (DST included)."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hero365.erp.domain.jobs import Job, JobStatus
from hero365.erp.domain.scheduling import WorkingHours, free_slots

TZ = "America/Chicago"
CHI = ZoneInfo(TZ)
MONDAY = date(2026, 11, 23)
HOURS = [WorkingHours(business_id=1, user_id=5, weekday=d, start=time(8), end=time(17)) for d in range(5)]


def booked(hour: int, minutes: int = 60, status: JobStatus = JobStatus.SCHEDULED, day: date = MONDAY) -> Job:
    return Job(business_id=1, number=1, title="x", contact_id=1, technician_id=5, status=status,
               scheduled_start=datetime.combine(day, time(hour), CHI), duration_minutes=minutes)


def starts(slots) -> list[str]:
    return [s.start.astimezone(CHI).strftime("%H:%M") for s in slots]


def test_an_empty_day_offers_every_half_hour_that_fits_in_working_hours() -> None:
    slots = free_slots(5, MONDAY, TZ, HOURS, [], 60)
    assert starts(slots)[0] == "08:00" and starts(slots)[-1] == "16:00" and len(slots) == 17
    assert all(s.end - s.start == timedelta(hours=1) and s.technician_id == 5 for s in slots)


def test_open_jobs_take_their_time_out_of_the_day() -> None:
    slots = starts(free_slots(5, MONDAY, TZ, HOURS, [booked(9, 90)], 60))
    assert "08:00" in slots and "08:30" not in slots and "10:00" not in slots and "10:30" in slots


def test_cancelled_and_completed_jobs_free_their_time() -> None:
    jobs = [booked(9, status=JobStatus.CANCELLED), booked(10, status=JobStatus.COMPLETED)]
    assert len(free_slots(5, MONDAY, TZ, HOURS, jobs, 60)) == 17


def test_no_slots_at_the_weekend_or_for_someone_without_hours() -> None:
    assert free_slots(5, date(2026, 11, 28), TZ, HOURS, [], 60) == []
    assert free_slots(6, MONDAY, TZ, HOURS, [], 60) == []


def test_no_slot_starts_before_now() -> None:
    now = datetime(2026, 11, 23, 17, 10, tzinfo=UTC)  # 11:10 in Chicago
    assert starts(free_slots(5, MONDAY, TZ, HOURS, [], 60, not_before=now))[0] == "11:30"


def test_a_job_longer_than_what_is_left_does_not_fit() -> None:
    assert free_slots(5, MONDAY, TZ, HOURS, [], 10 * 60) == []
    assert starts(free_slots(5, MONDAY, TZ, HOURS, [], 9 * 60)) == ["08:00"]


def test_slots_follow_the_wall_clock_across_a_dst_change() -> None:
    spring = date(2027, 3, 15)  # the Monday after DST starts in the US
    slots = free_slots(5, spring, TZ, HOURS, [], 60)
    assert slots[0].start.utcoffset() == timedelta(hours=-5)
    assert starts(slots)[0] == "08:00"
    winter = free_slots(5, MONDAY, TZ, HOURS, [], 60)
    assert winter[0].start.astimezone(UTC).hour == 14 and slots[0].start.astimezone(UTC).hour == 13
