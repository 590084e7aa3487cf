"""Sentences people say to the agents, generated from templates and the business's own names.

The recogniser's language model is trained on these, so it expects this trade's commands, spoken numbers,
dates and times, and this business's customers, products and technicians. The templates are written from
the intent contract (shared/nlu/INTENTS.md), not copied from any evaluation set.
"""

from __future__ import annotations

import functools
import random
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from ...brain.nlu.lexicon import MONTHS, WEEKDAYS
from ..speak_text import cardinal, ordinal

ONES = [cardinal(n) for n in range(20)]


def spell(n: int) -> str:
    """42 -> 'forty two', 1250 -> 'one thousand two hundred fifty'."""
    return cardinal(n)


def spoken_number(n: int, rng: random.Random) -> str:
    """The ways people say a number: 'one oh four', 'twelve fifty', 'one hundred and five'."""
    forms = [spell(n)]
    if 100 <= n < 1000:
        hundreds, rest = divmod(n, 100)
        forms.append(f"{ONES[hundreds]} hundred and {spell(rest)}" if rest else spell(n))
        forms.append(f"{ONES[hundreds]} {'oh ' + ONES[rest] if rest < 10 else spell(rest)}")
    if 1000 <= n < 10000 and n % 100:
        forms.append(f"{spell(n // 100)} {spell(n % 100) if n % 100 >= 10 else 'oh ' + ONES[n % 100]}")
    return rng.choice(forms)



def spoken_date(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.3:
        return rng.choice(
            [
                "today",
                "tomorrow",
                "the day after tomorrow",
                "tonight",
                "this afternoon",
                "tomorrow morning",
                "tomorrow afternoon",
            ]
        )
    if r < 0.65:
        return rng.choice(["", "next ", "this ", "on ", "on ", "next "]) + rng.choice(WEEKDAYS)
    month, day = rng.choice(MONTHS), rng.randint(1, 31)
    return rng.choice(
        [
            f"{month} {ordinal(day)}",
            f"the {ordinal(day)} of {month}",
            f"{month} {spell(day)}",
            f"the {ordinal(day)}",
            f"in {spell(rng.randint(2, 14))} days",
            "next week",
        ]
    )


def spoken_time(rng: random.Random) -> str:
    hour, minute = rng.randint(1, 12), rng.choice([0, 0, 0, 15, 30, 30, 45])
    h = spell(hour)
    if minute == 0:
        return rng.choice(
            [
                h,
                f"{h} o'clock",
                f"{h} a m",
                f"{h} p m",
                f"{h} in the morning",
                f"{h} in the afternoon",
                "noon",
                "eight thirty",
            ]
        )
    if minute == 30:
        return rng.choice([f"{h} thirty", f"half past {h}", f"{h} thirty a m", f"{h} thirty p m"])
    return rng.choice([f"{h} {spell(minute)}", f"quarter past {h}" if minute == 15 else f"quarter to {h}"])


def spoken_money(rng: random.Random) -> str:
    amount = rng.choice([rng.randint(1, 20) * 25, rng.randint(1, 60) * 50, rng.randint(100, 9000)])
    return rng.choice(
        [f"{spoken_number(amount, rng)} dollars", spoken_number(amount, rng), f"{spoken_number(amount, rng)} bucks"]
    )


TEMPLATES = """
what's on my schedule {when}|what do i have {when}|what's my day look like|read me my appointments {when}
any jobs {when}|what's booked {when}|what's my next appointment|what's next|give me the schedule for {date}
what jobs do i have coming up this week|list my upcoming jobs for the next {n} days|show upcoming jobs
what's coming up in the next {n} days|tell me about job {num}|what are the details on job number {num}
what's the address for the {cust} job|pull up the {cust} job|give me the details of job {num}
create a job for {cust} {when} at {time} to {task}|new job for {cust} {task} {date} at {time} {dur}
schedule a job for {cust} on {date} at {time} for {task}|book {task} for {cust} {date} at {time}
add a job for {cust} {task} {date} at {time} {dur}|i need to create a job for {cust}
set up a new service call for {cust} {when} at {time}|create a job|new job
mark job {num} as complete|job {num} is done|i'm starting the {cust} job now|put job {num} on hold
cancel job number {num}|set the status of job {num} to {status}|finished up at the {cust} place
update job {num} to {status}|mark it done|i'm done with it|start the job|job {num} is finished
reschedule the {cust} appointment to {date} at {time}|move job {num} to {date}|push the {cust} job to {date}
can you move job {num} to {date} at {time}|reschedule job {num} to {date}|bump the {cust} job to {date}
add a note to job {num} {note}|note on the {cust} job {note}|put a note on job {num} saying {note}
what's the status of project {num}|how is the {cust} remodel going|give me an update on project number {num}
where are we on the {cust} project|project {num} is {pct} percent done|update the {cust} project to {pct} percent
set progress on project {num} to {pct} percent|add a milestone to project {num} {task} by {date}
create an invoice for the {cust} job|invoice job {num}|bill {cust} {money} for the {task}
make an invoice for job {num} for {money}|send a bill to {cust} for {money}|can you invoice the {cust} job
has the {cust} invoice been paid|what's the status of invoice {num}|did {cust} pay yet|check invoice number {num}
send a payment reminder to {cust}|remind {cust} about the invoice|send a reminder for invoice {num}
{cust} paid {money} in cash|record a payment of {money} on invoice {num}|{cust} paid the invoice
log a check for {money} from {cust}|which invoices are overdue|who owes us money|list past due invoices
create an estimate for {cust} for {task} {money}|write up a quote for {cust} for {task}
new estimate for {cust} {task} {money}|i need an estimate for {cust}|send estimate {num} to the customer
email the {cust} estimate|send the {cust} quote over|convert estimate {num} to an invoice
turn the {cust} estimate into an invoice|what estimates are pending|any open quotes|list pending estimates
what's the phone number for {cust}|give me {cust}'s contact info|what's {cust}'s address|how do i reach {cust}
add a new contact {cust} phone {phone}|create a contact for {cust}|add a note to {cust} {note}
log a call with {cust} {note}|schedule a follow up with {cust} {date} at {time}|remind me to call {cust} {date}
how many {prod} do we have|check stock on {prod}|do we have any {prod} left|how much {prod} is in stock
reorder {prod}|order {n} more {prod}|we need more {prod}|put in an order for {n} {prod}
remind me to {task} {date} at {time}|set a reminder {date} at {time} to {task}|remind me {when} to {task}
get me directions to job {num}|how do i get to the {cust} job|navigate to the {cust} job|directions to job {num}
what's the weather at the {cust} job {date}|what's the forecast {when}|is it going to rain {when}
switch to {biz}|switch business to {biz}|yes|yeah|yes please|go ahead|sure|that's right|correct|do it|confirm
no|nope|no thanks|don't do that|cancel|cancel that|never mind|stop|forget it|help|what can you do
repeat that|say that again|what did you say|let me talk to a real person|transfer me to support
connect me with sales|i want to speak to someone|can i talk to a manager|no {date}|no make it {time}
yes that works|that works|sounds good|perfect|okay|ok|thank you|thanks|goodbye|bye
yes i'll be there|yes we're still on|that time works|can we move it to {date} at {time}|i need to reschedule
can you come {date} instead|i can't make it {when}|is {date} at {time} possible|i need to cancel
please cancel my appointment|cancel the appointment|i'd like to book a consultation|can someone come look at my {task}
i need someone to {task} {date}|how much do you charge for {svc}|what does {svc} cost|how much is a {svc}
i'll pay {date}|i can pay {money} {date}|i'll send the payment {when}|i'll pay the rest {date}
five stars|it was great|the technician was excellent|i'd give it a {rating}|{rating} out of five|not happy with it
this isn't a good time|can you call me back {when}|call me back at {time}|i'm busy right now|call me later
i'm not interested|no thank you i'm not interested|stop calling me|take me off your list|don't call me again
please remove my number|you have the wrong number|there's no one here by that name|wrong number|who is this
when is my appointment|when are you coming|how much do i owe|what's my balance|did you get my payment
"""

TASKS = [
    "replace the water heater",
    "fix a leaking faucet",
    "drain cleaning",
    "furnace tune up",
    "ac inspection",
    "check the breaker panel",
    "install a ceiling fan",
    "unclog the kitchen sink",
    "replace the thermostat",
    "service call",
    "repair the garbage disposal",
    "inspect the ac unit",
    "panel upgrade",
    "fix the toilet",
    "call the supplier",
    "pick up parts",
    "order filters",
]
NOTES = [
    "customer wants a quote for a new sink",
    "the dog is friendly",
    "ordered the replacement valve",
    "gate code is four four one two",
    "waiting for parts",
    "customer was happy",
    "left a voicemail",
]
STATUSES = ["complete", "completed", "in progress", "on hold", "cancelled", "scheduled", "done", "finished"]


@dataclass
class Vocabulary:
    """What this business's people and customers say besides the templates' words."""

    customers: list[str] = field(default_factory=list)
    products: list[str] = field(default_factory=list)
    services: list[str] = field(default_factory=list)
    technicians: list[str] = field(default_factory=list)
    businesses: list[str] = field(default_factory=list)


def _words(text: str) -> str:
    text = text.lower().replace("&", " and ").replace("-", " ")
    return re.sub(r"\s+", " ", re.sub(r"[^a-z' ]+", " ", text)).strip()


def _customer_forms(name: str, rng: random.Random) -> str:
    parts = _words(name).split()
    if len(parts) >= 2 and rng.random() < 0.5:
        return rng.choice([parts[-1], f"the {parts[-1]}s", parts[-1]])
    return " ".join(parts)


def sentences(vocab: Vocabulary, per_template: int = 12, seed: int = 7) -> list[str]:
    """Template sentences with every slot filled several times; every name appears at least once."""
    rng = random.Random(seed)
    customers = [c for c in (_words(c) for c in vocab.customers) if c] or ["johnson", "maria garcia"]
    products = [p for p in (_words(p) for p in vocab.products) if p] or ["water heater", "pex tubing"]
    services = [s for s in (_words(s) for s in vocab.services) if s] or ["drain cleaning"]
    businesses = [b for b in (_words(b) for b in vocab.businesses) if b] or ["hero home services"]
    fillers = {
        "when": lambda: spoken_date(rng),
        "date": lambda: spoken_date(rng),
        "time": lambda: spoken_time(rng),
        "num": lambda: spoken_number(
            rng.choice([rng.randint(1, 99), rng.randint(100, 999), rng.randint(1000, 2999)]), rng
        ),
        "n": lambda: spell(rng.randint(2, 30)),
        "pct": lambda: spell(rng.choice(range(5, 101, 5))),
        "cust": lambda: _customer_forms(rng.choice(customers), rng),
        "prod": lambda: rng.choice(products),
        "svc": lambda: rng.choice(services),
        "biz": lambda: rng.choice(businesses),
        "task": lambda: rng.choice(TASKS),
        "note": lambda: rng.choice(NOTES),
        "status": lambda: rng.choice(STATUSES),
        "money": lambda: spoken_money(rng),
        "rating": lambda: spell(rng.randint(1, 5)),
        "dur": lambda: rng.choice(["", "one hour", "two hours", "ninety minutes", "an hour and a half"]),
        "phone": lambda: " ".join(spell(int(d)) for d in f"512555{rng.randint(0, 9999):04d}"),
    }
    templates = [t.strip() for line in TEMPLATES.strip().splitlines() for t in line.split("|") if t.strip()]
    out: list[str] = []
    for template in templates:
        for _ in range(per_template if "{" in template else 2):
            out.append(_words(re.sub(r"\{(\w+)\}", lambda m: fillers[m.group(1)](), template)))
    for name in customers:  # every name is sayable in a few frames
        out += [f"tell me about the {name} job", f"call {name}", name]
    for name in products + services:
        out += [f"check stock on {name}", name]
    for name in (_words(t) for t in vocab.technicians):
        out += [f"assign it to {name}", name]
    for n in range(0, 100):  # numbers on their own, as answers
        out.append(spell(n))
    return [s for s in out if s]


@functools.cache
def command_words() -> frozenset[str]:
    """The words of the command templates themselves (no names, numbers or dates): what the brain listens for."""
    text = re.sub(r"\{\w+\}", " ", TEMPLATES.replace("|", " "))
    return frozenset(_words(text).split()) | {w for s in STATUSES for w in s.split()}


def words_of(corpus: Iterable[str]) -> set[str]:
    return {w for s in corpus for w in s.split()}
