"""What every service shares: the clock, the activity log, and lookups that fail with a helpful sentence."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import jellyfish
from rapidfuzz import fuzz, process

from ..domain.contacts import Contact
from ..domain.errors import Ambiguous, InvalidInput, NotFound, PermissionDenied
from ..domain.jobs import Job
from ..domain.messages import ActivityEntry
from ..domain.tenancy import Actor, Permission, Role
from ..store.uow import UnitOfWork


def now(uow: UnitOfWork) -> datetime:
    return uow.store.clock()


async def zone(uow: UnitOfWork) -> ZoneInfo:
    return ZoneInfo((await uow.business()).timezone)


async def local_now(uow: UnitOfWork) -> datetime:
    return now(uow).astimezone(await zone(uow))


async def today(uow: UnitOfWork) -> date:
    return (await local_now(uow)).date()


def log(uow: UnitOfWork, actor: Actor, action: str, entity: str, entity_id: int | None, summary: str) -> None:
    """Append to the business's activity log, in the same transaction as the change."""
    uow.activity.add(ActivityEntry(business_id=actor.business_id, at=now(uow), action=action, entity=entity,
                                   entity_id=entity_id, summary=summary, user_id=actor.user_id))


def _phonetic(text: str) -> str:
    return " ".join(jellyfish.metaphone(w) for w in text.split())


def _best_segment(query: str, name: str) -> tuple[float, str]:
    """Score a query against the name and against each run of as many words (a surname alone)."""
    words, n = name.split(), len(query.split())
    segments = {name} | {" ".join(words[i:i + n]) for i in range(len(words) - n + 1)}
    return max((fuzz.ratio(query, seg), seg) for seg in segments)


def rank_names(query: str, names: dict[int, str], limit: int = 5) -> list[tuple[int, str, float]]:
    """Best matches for a spoken name: by letters and by sound ("jonson" ~ Johnson), whole name or part."""
    q = query.strip().lower()
    if not q or not names:
        return []
    lowered = {k: v.lower() for k, v in names.items()}
    shortlist = process.extract(q, lowered, scorer=fuzz.WRatio, limit=max(limit * 4, 20))
    q_sound = _phonetic(q)
    scored: list[tuple[int, str, float]] = []
    for _name, wratio, key in shortlist:
        letters, segment = _best_segment(q, lowered[key])
        sound = fuzz.ratio(q_sound, _phonetic(segment))
        score = max(letters, (letters + sound) / 2, wratio * 0.95)
        scored.append((key, names[key], score))
    scored.sort(key=lambda m: -m[2])
    return scored[:limit]


_HOUSEHOLD = re.compile(r"\s+(?:family|household|house|place|residence|home|folks)$")


def _spoken_name(query: str) -> str:
    """'the Jonsen family' -> 'jonsen': the name inside how people refer to a household."""
    return _HOUSEHOLD.sub("", query.strip().lower().removeprefix("the ")).strip()


def _surname_forms(query: str) -> set[str]:
    """'the Hendersons', "Johnson's" -> {'henderson', 'johnson'}: how people name a family."""
    q = _spoken_name(query).replace("'", "")
    forms = {q}
    if q.endswith("es") and len(q) > 4:
        forms.add(q[:-2])
    if q.endswith("s") and len(q) > 3:
        forms.add(q[:-1])
    return forms


async def find_contact(uow: UnitOfWork, actor: Actor, name: str) -> Contact:
    """One contact for a spoken name, or a sentence that says what to do next."""
    if actor.role == Role.CALL_AGENT:
        raise PermissionDenied("I can only help with your own account on this call.")
    actor.require(Permission.CONTACTS_VIEW, "look up customers")
    index = await contact_names(uow)
    names = index.names
    forms = _surname_forms(name)
    exact = sorted({abs(k) for form in forms for k in index.by_name.get(form, ())})
    if not exact:  # a surname or first name alone: "the Johnson job"
        exact = sorted({abs(k) for form in forms for k in index.by_word.get(form, ())})
    if len(exact) == 1:
        found = await uow.contacts.get(exact[0])
        assert found is not None
        return found
    if len(exact) > 1:
        options = [names[k] for k in exact[:4]]
        raise Ambiguous(f"I found {len(exact)} customers called {name}: {_or(options)}. Which one?", options)
    ranked = [m for m in rank_names(_spoken_name(name), names) if m[2] >= 60]
    if ranked and ranked[0][2] >= 88 and (len(ranked) == 1 or ranked[0][2] - ranked[1][2] >= 8):
        found = await uow.contacts.get(abs(ranked[0][0]))
        assert found is not None
        return found
    if ranked:
        options = list(dict.fromkeys(m[1] for m in ranked[:3]))
        raise NotFound(f"I can't find a customer named {name}. Did you mean {_or(options)}?", options=options)
    raise NotFound(f"I can't find a customer named {name}.")


class NameIndex:
    """A business's contact names, ready for lookup: exact names and single words are dictionary hits, and
    fuzzy ranking runs over a prepared list. Built once per cache generation, so it is never stale."""

    def __init__(self, rows: list[dict]) -> None:
        self.names: dict[int, str] = {row["id"]: row["name"] for row in rows}
        self.names.update({-row["id"]: row["company"] for row in rows if row["company"]})
        self.by_name: dict[str, list[int]] = {}
        self.by_word: dict[str, list[int]] = {}
        for key, value in self.names.items():
            low = value.lower()
            self.by_name.setdefault(low, []).append(key)
            for word in set(low.split()):
                self.by_word.setdefault(word, []).append(key)


_NAME_INDEXES: dict[tuple[int, int, tuple[int, ...]], NameIndex] = {}


async def contact_names(uow: UnitOfWork) -> NameIndex:
    """The contact NameIndex for this unit of work: memoised per store, business and contacts generation;
    rebuilt from the transaction's own view when it has written contacts itself."""
    bid = uow.business_id or 0
    if "contacts" in uow.pending_topics():
        return NameIndex(await uow.contacts.name_index())
    key = (uow.store.serial, bid, tuple(await uow.store.cache.generations(bid, ("contacts",))))
    found = _NAME_INDEXES.get(key)
    if found is None:
        if len(_NAME_INDEXES) > 64:
            _NAME_INDEXES.clear()
        found = _NAME_INDEXES[key] = NameIndex(await contact_index(uow))
    return found


async def contact_index(uow: UnitOfWork) -> list[dict]:
    """The business's contact names, from the cache when current."""
    return await uow.cached(("contacts",), "contact_index", uow.contacts.name_index)


async def get_contact(uow: UnitOfWork, actor: Actor, contact_id: int) -> Contact:
    contact = await uow.contacts.get(contact_id)
    if contact is None or (actor.role == Role.CALL_AGENT and contact_id != actor.contact_id):
        raise NotFound("I can't find that contact.")
    return contact


def _or(options: list[str]) -> str:
    return options[0] if len(options) == 1 else ", ".join(options[:-1]) + " or " + options[-1]


def check_job_scope(actor: Actor, job: Job, changing: bool = False) -> None:
    """Technicians see and change their own jobs; a calling agent only its contact's."""
    if actor.role == Role.CALL_AGENT:
        if job.contact_id != actor.contact_id:
            raise NotFound("I can't find that appointment on your account.")
        return
    if actor.sees_all_jobs:
        if changing:
            actor.require(Permission.JOBS_MANAGE_ALL, "change jobs")
        return
    if job.technician_id != actor.user_id:
        raise PermissionDenied(f"Job {job.number} isn't assigned to you.", job=job.number)
    if changing:
        actor.require(Permission.JOBS_MANAGE_OWN, "change jobs")


async def get_job(uow: UnitOfWork, actor: Actor, number: int, changing: bool = False) -> Job:
    if number <= 0:
        raise InvalidInput("Job numbers start at 1.")
    job = await uow.jobs.by_number(number)
    if job is None:
        if actor.role == Role.CALL_AGENT:
            raise NotFound("I can't find that appointment on your account.")
        raise NotFound(f"There's no job {number}.", job=number)
    check_job_scope(actor, job, changing)
    return job


async def resolve_job(uow: UnitOfWork, actor: Actor, number: int | None = None, customer: str | None = None,
                      changing: bool = False, open_only: bool = True) -> Job:
    """A job by its number, or by its customer ("the Johnson job": their open job, the next one first)."""
    if number is not None:
        return await get_job(uow, actor, number, changing)
    if actor.role == Role.CALL_AGENT:
        contact_id = actor.contact_id
        label = "your account"
    elif customer:
        contact = await find_contact(uow, actor, customer)
        contact_id, label = contact.id, contact.name
    else:
        raise InvalidInput("Which job? Tell me its number or the customer's name.")
    assert contact_id is not None
    jobs = await uow.jobs.for_contact(contact_id, open_only=open_only)
    if not actor.sees_all_jobs and actor.role != Role.CALL_AGENT:
        jobs = [j for j in jobs if j.technician_id == actor.user_id]
    if not jobs and open_only:
        raise NotFound("I don't see an upcoming appointment on your account." if actor.role == Role.CALL_AGENT
                       else f"There's no open job for {label}.")
    if not jobs:
        raise NotFound(f"There's no job for {label}.")
    ref = now(uow)
    upcoming = sorted((j for j in jobs if j.scheduled_start and j.scheduled_start >= ref),
                      key=lambda j: j.scheduled_start)  # type: ignore[arg-type,return-value]
    active = [j for j in jobs if j.status.value == "in_progress"]
    job = (active or upcoming or jobs)[0]
    check_job_scope(actor, job, changing)
    return job
