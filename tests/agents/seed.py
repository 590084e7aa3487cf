"""A seeded business for the intent-by-intent conversation tests, written through the ERP services.

On top of `people` (Bob Johnson's job 1 tomorrow at 10 with Tina; Maria Garcia, Bob Smith, Bobby Smithers,
all at 12 Oak St) it adds, at the pinned moment (Monday 2026-11-23 08:00 in Chicago):

- Linda Henderson (44 Elm St) and Dave Patel (no phone, no address, no jobs);
- jobs: 2 Garcia today 1 PM (Tina), 3 Smith today 3 PM (Tom), 4 Smithers Wednesday 9 AM (Tina),
  5 Henderson Wednesday 9 AM (Tom): on Wednesday at 9 nobody is free;
- project 1 "bathroom remodel" for Henderson: budget $18,000, $7,500 spent, 40 percent, milestones
  "demolition" (no date) and "tile work" (due Friday December 4th);
- estimates: 1 Smith "new AC unit" draft (two lines, $4,800 + tax), 2 Garcia "tankless water heater" sent
  ($2,400 + tax), 3 Johnson "water heater replacement" accepted ($1,200 + tax);
- invoices: 1001 Johnson $350 + tax, sent 40 days ago (overdue 10 days), $100 paid;
  1002 Smith $189 + tax, sent 35 days ago (overdue 5 days); 1003 Garcia $250 + tax, sent today (due Dec 23);
- the owner's phone (+1 512 555 0199), so driving mode can text her a long list.

Tax is 8.25%. `Seeded` carries the numbers the tests assert on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from hero365.erp.services import billing, contacts, jobs, projects

CHICAGO = ZoneInfo("America/Chicago")
OWNER_PHONE = "+15125550199"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A wall-clock time in the business's zone in November 2026 (23 = the pinned Monday)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=CHICAGO)


@dataclass
class Seeded:
    ids: dict[str, int] = field(default_factory=dict)

    def __getitem__(self, key: str) -> int:
        return self.ids[key]


async def seed_business(world, people, clock) -> Seeded:  # type: ignore[no-untyped-def]
    store, owner, biz = world.store, world.owner, world.business_id
    out = Seeded(dict(people))
    async with store.directory() as uow:
        user = await uow.directory.user(owner.user_id)
        assert user is not None
        user.phone = OWNER_PHONE
    async with store.uow(biz) as uow:
        h = await contacts.create_contact(uow, owner, "Linda Henderson", "512-555-0105", street="44 Elm St",
                                          city="Austin", state="TX", postal_code="78702", email="linda@h.test")
        p = await contacts.create_contact(uow, owner, "Dave Patel")
        out.ids.update({"Linda Henderson": h.id, "Dave Patel": p.id})  # type: ignore[dict-item]
        for key, contact, title, start, tech in (
                ("garcia_job", people["Maria Garcia"], "Leaky kitchen faucet", at(23, 13), world.tech),
                ("smith_job", people["Bob Smith"], "Clogged drain", at(23, 15), world.tech2),
                ("smithers_job", people["Bobby Smithers"], "Sump pump install", at(25, 9), world.tech),
                ("henderson_job", h.id, "Remodel walkthrough", at(25, 9), world.tech2)):
            job = await jobs.create_job(uow, owner, contact, title, start, 60, tech.user_id)
            out.ids[key] = job.number
        project = await projects.create_project(uow, owner, h.id, "Bathroom remodel", budget_cents=1_800_000)  # type: ignore[arg-type]
        await projects.record_project_cost(uow, owner, project.number, 750_000)
        await projects.update_project_progress(uow, owner, 40, project.number)
        await projects.create_project_milestone(uow, owner, "Demolition", None, project.number)
        await projects.create_project_milestone(uow, owner, "Tile work", date(2026, 12, 4), project.number)
        out.ids["project"] = project.number
        ac = await billing.create_estimate(uow, owner, "bob smith", "New AC unit", lines=[
            ("3 ton AC unit", Decimal(1), 420_000), ("Installation labor", Decimal(6), 10_000)])
        tankless = await billing.create_estimate(uow, owner, "maria garcia", "Tankless water heater", 240_000)
        await billing.send_estimate(uow, owner, tankless.number)
        heater = await billing.create_estimate(uow, owner, "bob johnson", "Water heater replacement", 120_000)
        await billing.decide_estimate(uow, owner, True, heater.number)
        out.ids.update({"ac_estimate": ac.number, "tankless_estimate": tankless.number,
                        "heater_estimate": heater.number})
        pinned = clock.at  # invoices written in the past: the services read the clock at each call
        try:
            for key, name, amount, days_ago, paid in (("johnson_invoice", "bob johnson", 35_000, 40, 10_000),
                                                      ("smith_invoice", "bob smith", 18_900, 35, 0),
                                                      ("garcia_invoice", "maria garcia", 25_000, 0, 0)):
                clock.at = pinned - timedelta(days=days_ago)
                inv = await billing.create_invoice(uow, owner, customer=name, amount_cents=amount,
                                                   title="Plumbing service")
                await billing.send_invoice(uow, owner, inv.number)
                if paid:
                    await billing.record_payment(uow, owner, paid, inv.number, method="check")
                out.ids[key] = inv.number
        finally:
            clock.at = pinned
    return out
