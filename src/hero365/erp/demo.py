"""A deterministic demo business: "Hero Home Services", a plumbing / HVAC / electrical contractor in Austin, TX.

`generate_demo(store, scale=1, seed=365, now=...)` builds a believable business around `now`: a team with
working hours, ~60 customers per unit of scale (with the names the spoken-command examples use), two months
of finished work with its invoices and payments, today's and the next two weeks' schedule (nobody
double-booked), projects, estimates, a parts-and-services catalogue with some stock running low.

Everything is drawn from `random.Random` streams seeded by `seed`, and every time is computed from `now`, so
the same seed and `now` give the same business. Phone numbers are in the fictional 555 exchange (555-01xx
first), e-mails on `example.*` domains.

How it is written: the team, projects, and today's and future jobs go through the services, with the store's
clock moved to the moment each thing happened (bookings, status changes, confirmations, draft invoices), so
their rules and activity log apply. History before today (finished jobs, invoices, payments, estimates) is
built from the domain objects with explicit times (the services would refuse to book in the past) and
inserted in chunks. `find_demo(store)` returns the newest complete demo business, or None.
"""

from __future__ import annotations

import itertools
import json
import math
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from .domain.billing import Estimate, EstimateStatus, Invoice, InvoiceStatus
from .domain.contacts import Contact, ContactKind, Interaction, InteractionKind, LeadStatus, normalize_phone
from .domain.inventory import Product, ProductKind, PurchaseOrder, PurchaseOrderStatus
from .domain.jobs import Job, JobStatus
from .domain.messages import ActivityEntry
from .domain.tasks import Task, TaskKind
from .domain.tenancy import Actor, Role
from .services import billing, businesses, inventory, projects
from .services import jobs as job_services
from .store import tables as t
from .store.db import Store
from .store.uow import UnitOfWork

DEMO_NAME = "Hero Home Services"
DEMO_DOMAIN = "herohomeservices.example"
DEMO_EMAIL = f"office@{DEMO_DOMAIN}"
DEMO_MARKER = "demo.generated"
TIMEZONE = "America/Chicago"
TAX_RATE_BP = 825
PAST_DAYS = 60
FUTURE_DAYS = 14


@dataclass
class DemoInfo:
    business_id: int
    owner_user_id: int
    office_user_ids: list[int]
    technician_user_ids: list[int]
    counts: dict[str, int]
    name: str = DEMO_NAME
    seed: int | None = None
    scale: int | None = None
    #: The `now` the demo was generated around.
    generated_for: datetime | None = None
    seconds: float | None = None


class _Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


# ----------------------------------------------------------------------------------------------------------
# Reference data
# ----------------------------------------------------------------------------------------------------------

#: sku, name, unit, price $, cost $, supplier, stock, reorder point, reorder quantity
PARTS: list[tuple[str, str, str, str, str, str, int, int, int]] = [
    ("WH-G40", "40 gallon gas water heater", "each", "899", "545", "Ferguson", 3, 2, 4),
    ("WH-E50", "50 gallon electric water heater", "each", "849", "512", "Ferguson", 1, 2, 4),
    ("WH-TL199", "Tankless water heater, 199k BTU", "each", "2195", "1380", "Ferguson", 2, 1, 2),
    ("EXP-TANK-2", "Thermal expansion tank, 2 gallon", "each", "79", "34", "Ferguson", 6, 3, 6),
    ("PEX-050-100", "Half-inch PEX-A tubing, 100 ft coil", "coil", "89", "41", "Ferguson", 12, 4, 10),
    ("PEX-075-100", "Three-quarter inch PEX-A tubing, 100 ft coil", "coil", "139", "66", "Ferguson", 5, 3, 6),
    ("PEX-CPL-050", "Half-inch PEX coupling", "each", "2.75", "0.85", "Ferguson", 35, 50, 200),
    ("PEX-ELB-050", "Half-inch PEX elbow", "each", "2.95", "0.95", "Ferguson", 140, 50, 200),
    ("CU-FIT-050", "Half-inch copper fitting, 90 degree elbow", "each", "4.50", "1.60", "Ferguson", 60, 40, 100),
    ("VLV-BALL-075", "Three-quarter inch brass ball valve", "each", "38", "14", "Ferguson", 14, 8, 20),
    ("PRV-075", "Pressure reducing valve, three-quarter inch", "each", "245", "118", "Ferguson", 3, 2, 4),
    ("TLT-FLAPPER", "Toilet flapper", "each", "18", "4.20", "Home Depot Pro", 24, 10, 24),
    ("TLT-FILL", "Toilet fill valve", "each", "32", "9.80", "Home Depot Pro", 15, 8, 20),
    ("TLT-WAX", "Toilet wax ring", "each", "12", "3.10", "Home Depot Pro", 20, 10, 24),
    ("DISP-050", "Half horsepower garbage disposal", "each", "289", "142", "Ferguson", 4, 2, 4),
    ("FLT-16251", "Furnace filter 16x25x1, MERV 8", "each", "14", "4.50", "Johnstone Supply", 18, 24, 48),
    ("FLT-20254", "Media air filter 20x25x4, MERV 11", "each", "58", "24", "Johnstone Supply", 9, 6, 12),
    ("REF-410A-25", "R-410A refrigerant, 25 lb cylinder", "cylinder", "489", "265", "Johnstone Supply", 2, 3, 4),
    ("CAP-45-5", "Dual run capacitor, 45/5 MFD", "each", "165", "19", "Johnstone Supply", 11, 6, 12),
    ("CONT-30A", "Condenser contactor, 30 amp 2 pole", "each", "145", "16", "Johnstone Supply", 7, 4, 10),
    ("TSTAT-WIFI", "Wi-Fi smart thermostat", "each", "249", "128", "Johnstone Supply", 6, 3, 6),
    ("CND-PUMP", "Condensate pump", "each", "165", "64", "Johnstone Supply", 3, 2, 4),
    ("BRK-20-1P", "20 amp single-pole breaker", "each", "19", "7.50", "Graybar", 26, 10, 30),
    ("BRK-AFCI-15", "15 amp AFCI breaker", "each", "64", "39", "Graybar", 4, 6, 12),
    ("GFCI-20", "20 amp GFCI outlet", "each", "29", "11.50", "Graybar", 30, 12, 24),
    ("PANEL-200", "200 amp main breaker panel, 40 space", "each", "689", "412", "Graybar", 1, 1, 2),
    ("WIRE-122-250", "12/2 Romex wire, 250 ft", "roll", "139", "92", "Graybar", 6, 4, 8),
    ("SURGE-WH", "Whole-home surge protector", "each", "329", "158", "Graybar", 5, 2, 4),
    ("SMOKE-CO", "Combination smoke and CO alarm", "each", "69", "27", "Graybar", 14, 8, 24),
    ("EVSE-48A", "Level 2 EV charger, 48 amp", "each", "699", "455", "Graybar", 2, 1, 2),
]
#: sku, name, unit, price $
SERVICES: list[tuple[str, str, str, str]] = [
    ("SV-DIAG", "Service call and diagnostic", "each", "89"),
    ("SV-LABOR", "Labor, per hour", "hour", "125"),
    ("SV-DRAIN", "Drain cleaning", "each", "189"),
    ("SV-SEWER", "Main sewer line cleaning", "each", "349"),
    ("SV-LEAK", "Leak detection", "each", "295"),
    ("SV-WH-INSTALL", "Water heater installation", "each", "650"),
    ("SV-TOILET", "Toilet repair", "each", "145"),
    ("SV-AC-TUNE", "AC tune-up", "each", "129"),
    ("SV-FURN-TUNE", "Furnace tune-up", "each", "119"),
    ("SV-REF-LB", "Refrigerant recharge, per pound", "lb", "95"),
    ("SV-PANEL", "Electrical panel upgrade, 200 amp", "each", "2400"),
    ("SV-FAN", "Ceiling fan installation", "each", "179"),
    ("SV-EV", "EV charger installation", "each", "850"),
    ("SV-OUTLET", "Outlet or switch replacement", "each", "125"),
    ("SV-REMODEL", "Kitchen remodel consultation", "each", "0"),
]


@dataclass(frozen=True)
class _Template:
    key: str
    trade: str
    title: str
    minutes: tuple[int, ...]
    service: str | None
    #: groups of alternatives: (probability, ((sku, min qty, max qty), ...)), one item drawn per group
    parts: tuple[tuple[float, tuple[tuple[str, int, int], ...]], ...] = ()
    labor_hours: tuple[int, int] = (0, 0)
    weight: int = 2
    descriptions: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


def _g(p: float, *items: tuple[str, int, int]) -> tuple[float, tuple[tuple[str, int, int], ...]]:
    return (p, items)


TEMPLATES: list[_Template] = [
    # plumbing
    _Template("wh_replace", "plumbing", "Water heater replacement", (180, 240), "SV-WH-INSTALL",
              (_g(1, ("WH-G40", 1, 1), ("WH-E50", 1, 1)), _g(0.6, ("EXP-TANK-2", 1, 1))), weight=3,
              descriptions=("No hot water; tank leaking at the base.", "12-year-old tank, rust in the water.",
                            "Pilot won't stay lit; customer wants a new unit."),
              notes=("Hauled away the old tank.", "Installed new expansion tank and pan.")),
    _Template("tankless", "plumbing", "Tankless water heater install", (300, 360), "SV-WH-INSTALL",
              (_g(1, ("WH-TL199", 1, 1)), _g(1, ("PEX-075-100", 1, 1))), labor_hours=(2, 3), weight=1,
              descriptions=("Upgrade from 50 gallon gas tank to tankless.",)),
    _Template("drain", "plumbing", "Drain cleaning, kitchen sink", (60, 90), "SV-DRAIN", weight=4,
              descriptions=("Kitchen sink backing up into the second basin.", "Slow drain, grease buildup."),
              notes=("Cleared grease clog about 25 ft in.", "Recommended enzyme treatment monthly.")),
    _Template("sewer", "plumbing", "Main sewer line cleaning", (120,), "SV-SEWER", weight=1,
              descriptions=("Toilets gurgling; cleanout overflowing.",), notes=("Roots at 60 ft; camera video sent.",)),
    _Template("faucet", "plumbing", "Leaking faucet repair", (60,), "SV-DIAG", (), labor_hours=(1, 1), weight=3,
              descriptions=("Bathroom faucet dripping constantly.", "Kitchen faucet leaking under the sink.")),
    _Template("toilet", "plumbing", "Toilet repair, running toilet", (60,), "SV-TOILET",
              (_g(0.8, ("TLT-FLAPPER", 1, 1)), _g(0.5, ("TLT-FILL", 1, 1)), _g(0.15, ("TLT-WAX", 1, 1))), weight=3,
              notes=("Replaced flapper and fill valve.", "Toilet is 25+ years old; suggested replacement.")),
    _Template("disposal", "plumbing", "Garbage disposal replacement", (90,), "SV-DIAG",
              (_g(1, ("DISP-050", 1, 1)),), labor_hours=(1, 1), weight=2),
    _Template("leak", "plumbing", "Slab leak detection", (120,), "SV-LEAK", weight=1,
              descriptions=("Water bill doubled; warm spot on the living room floor.",),
              notes=("Leak found under the hallway; repair estimate to follow.",)),
    _Template("prv", "plumbing", "Pressure reducing valve replacement", (120,), "SV-DIAG",
              (_g(1, ("PRV-075", 1, 1)), _g(0.5, ("VLV-BALL-075", 1, 1))), labor_hours=(1, 2), weight=1,
              descriptions=("Static pressure at 110 psi; banging pipes.",)),
    _Template("burst", "plumbing", "Burst pipe repair", (90, 120), "SV-DIAG",
              (_g(1, ("PEX-050-100", 1, 1)), _g(1, ("PEX-CPL-050", 2, 6)), _g(0.7, ("PEX-ELB-050", 2, 4)),
               _g(0.4, ("CU-FIT-050", 2, 4))), labor_hours=(1, 2), weight=2,
              descriptions=("Pipe burst in the attic; water shut off at the street.",)),
    # HVAC
    _Template("ac_tune", "hvac", "AC tune-up", (60, 90), "SV-AC-TUNE", (_g(0.5, ("FLT-16251", 1, 2)),), weight=4,
              notes=("Coils cleaned; refrigerant pressures normal.", "Capacitor reading low; monitor.")),
    _Template("ac_fix", "hvac", "AC not cooling, diagnose and repair", (90, 120), "SV-DIAG",
              (_g(0.5, ("CAP-45-5", 1, 1), ("CONT-30A", 1, 1)),), labor_hours=(1, 2), weight=3,
              descriptions=("House at 84 degrees; outdoor unit humming but fan not spinning.",
                            "Blowing warm air since last night."),
              notes=("Replaced failed run capacitor; system cooling.", "Replaced pitted contactor.")),
    _Template("furnace", "hvac", "Furnace tune-up", (60,), "SV-FURN-TUNE", (_g(0.7, ("FLT-16251", 1, 2)),), weight=3,
              notes=("Flame sensor cleaned; heat exchanger looks good.",)),
    _Template("heatpump", "hvac", "Heat pump repair", (120,), "SV-DIAG",
              (_g(0.6, ("CONT-30A", 1, 1), ("CAP-45-5", 1, 1)),), labor_hours=(1, 3), weight=2,
              descriptions=("Heat pump iced over; aux heat running constantly.",)),
    _Template("recharge", "hvac", "Refrigerant leak check and recharge", (120,), "SV-REF-LB", (), labor_hours=(1, 1),
              weight=1),
    _Template("tstat", "hvac", "Smart thermostat install", (60,), "SV-DIAG", (_g(1, ("TSTAT-WIFI", 1, 1)),),
              labor_hours=(1, 1), weight=2),
    _Template("condensate", "hvac", "Condensate line clog", (60,), "SV-DIAG", (_g(0.3, ("CND-PUMP", 1, 1)),),
              labor_hours=(0, 1), weight=2, descriptions=("Water dripping from the attic unit's drain pan.",)),
    _Template("filter", "hvac", "Air filter and IAQ check", (60,), "SV-DIAG", (_g(1, ("FLT-20254", 1, 2)),), weight=1),
    # electrical
    _Template("panel", "electrical", "Panel upgrade, 200 amp", (420, 480), "SV-PANEL",
              (_g(1, ("PANEL-200", 1, 1)), _g(1, ("BRK-20-1P", 4, 10)), _g(0.6, ("BRK-AFCI-15", 2, 4)),
               _g(0.5, ("SURGE-WH", 1, 1))), weight=1,
              descriptions=("Old Federal Pacific panel; insurance requires replacement.",)),
    _Template("ev", "electrical", "EV charger install", (180, 240), "SV-EV",
              (_g(0.5, ("EVSE-48A", 1, 1)), _g(1, ("WIRE-122-250", 1, 1))), weight=2,
              descriptions=("Tesla wall connector in the garage, 60 amp circuit.",)),
    _Template("gfci", "electrical", "GFCI outlet install", (60,), "SV-OUTLET", (_g(1, ("GFCI-20", 1, 4)),), weight=3),
    _Template("fan", "electrical", "Ceiling fan install", (90,), "SV-FAN", weight=3),
    _Template("breaker", "electrical", "Breaker keeps tripping, troubleshoot", (90,), "SV-DIAG",
              (_g(0.6, ("BRK-20-1P", 1, 1), ("BRK-AFCI-15", 1, 1)),), labor_hours=(1, 1), weight=3,
              notes=("Found a loose neutral in the kitchen circuit.", "Replaced weak breaker.")),
    _Template("surge", "electrical", "Whole-home surge protector", (90,), "SV-DIAG", (_g(1, ("SURGE-WH", 1, 1)),),
              labor_hours=(1, 1), weight=1),
    _Template("smoke", "electrical", "Smoke and CO detector replacement", (60, 90), "SV-DIAG",
              (_g(1, ("SMOKE-CO", 2, 6)),), labor_hours=(1, 1), weight=2),
    _Template("lighting", "electrical", "Recessed lighting install", (180,), "SV-DIAG",
              (_g(1, ("WIRE-122-250", 1, 1)),), labor_hours=(2, 3), weight=1),
]
TEMPLATE = {tp.key: tp for tp in TEMPLATES}
TRADES = ("plumbing", "hvac", "electrical", "plumbing", "hvac", "plumbing", "electrical", "hvac")

FIRST_NAMES = ["James", "Michael", "William", "Richard", "Joseph", "Thomas", "Christopher", "Charles", "Daniel",
               "Matthew", "Anthony", "Mark", "Donald", "Steven", "Paul", "Andrew", "Joshua", "Kenneth", "Kevin",
               "Brian", "George", "Timothy", "Ronald", "Edward", "Jason", "Jeffrey", "Ryan", "Jacob", "Gary",
               "Nicholas", "Eric", "Jonathan", "Stephen", "Larry", "Justin", "Scott", "Brandon", "Benjamin", "Samuel",
               "Gregory", "Alexander", "Frank", "Patrick", "Raymond", "Jack", "Dennis", "Jerry", "Tyler", "Aaron",
               "Jose", "Adam", "Nathan", "Henry", "Douglas", "Zachary", "Peter", "Kyle", "Ethan", "Walter", "Noah",
               "Jeremy", "Christian", "Keith", "Roger", "Terry", "Gerald", "Harold", "Sean", "Carl", "Arthur",
               "Lawrence", "Dylan", "Jesse", "Jordan", "Bryan", "Joe", "Bruce", "Gabriel", "Logan", "Albert", "Alan",
               "Juan", "Wayne", "Elijah", "Randy", "Roy", "Vincent", "Ralph", "Eugene", "Russell", "Mason", "Philip",
               "Louis", "Luis", "Carlos", "Miguel", "Diego", "Hector", "Ramon", "Andre", "Marcus", "Patricia",
               "Jennifer", "Elizabeth", "Barbara", "Susan", "Jessica", "Karen", "Nancy", "Lisa", "Betty", "Margaret",
               "Sandra", "Ashley", "Emily", "Donna", "Michelle", "Carol", "Amanda", "Dorothy", "Melissa", "Deborah",
               "Stephanie", "Rebecca", "Laura", "Sharon", "Cynthia", "Kathleen", "Amy", "Angela", "Shirley", "Anna",
               "Brenda", "Pamela", "Emma", "Nicole", "Helen", "Samantha", "Katherine", "Christine", "Rachel",
               "Carolyn", "Janet", "Catherine", "Heather", "Diane", "Ruth", "Julie", "Olivia", "Joyce", "Virginia",
               "Victoria", "Kelly", "Lauren", "Christina", "Joan", "Evelyn", "Judith", "Megan", "Andrea", "Cheryl",
               "Hannah", "Jacqueline", "Martha", "Gloria", "Teresa", "Ann", "Madison", "Frances", "Kathryn", "Janice",
               "Jean", "Abigail", "Alice", "Judy", "Sophia", "Grace", "Denise", "Amber", "Marilyn", "Danielle",
               "Beverly", "Isabella", "Theresa", "Diana", "Natalie", "Brittany", "Charlotte", "Rosa", "Kayla",
               "Alexis", "Lori", "Priya", "Mei", "Aisha", "Lucia", "Carmen", "Elena", "Ana", "Sofia", "Yolanda",
               "Leticia", "Mai", "Ngoc", "Fatima", "Imani", "Keisha"]
LAST_NAMES = ["Williams", "Brown", "Jones", "Miller", "Davis", "Rodriguez", "Martinez", "Hernandez", "Lopez",
              "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Perez", "Thompson",
              "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen",
              "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Hall",
              "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "Gomez", "Phillips", "Evans", "Turner", "Diaz",
              "Parker", "Cruz", "Edwards", "Collins", "Reyes", "Stewart", "Morris", "Morales", "Murphy", "Cook",
              "Rogers", "Gutierrez", "Ortiz", "Morgan", "Cooper", "Peterson", "Bailey", "Reed", "Kelly", "Howard",
              "Ramos", "Cox", "Ward", "Richardson", "Watson", "Brooks", "Chavez", "Wood", "Bennett", "Gray",
              "Mendoza", "Ruiz", "Hughes", "Price", "Alvarez", "Castillo", "Sanders", "Myers", "Long", "Ross",
              "Foster", "Jimenez", "Powell", "Jenkins", "Perry", "Russell", "Sullivan", "Bell", "Coleman", "Butler",
              "Simmons", "Fisher", "Vasquez", "Hayes", "Graham", "Wallace", "Griffin", "Rios", "Tran", "Pham", "Shah",
              "Singh", "Desai", "Huang", "Wang", "Liu", "Zhang", "Park", "Choi", "Okafor", "Novak", "Schmidt",
              "Weber", "Keller", "Holt", "Whitaker", "Dawson", "Pruitt", "Hale", "McKinney", "Dominguez", "Salazar",
              "Villarreal", "Cantu", "Trevino", "Guerra", "Garza", "Saenz", "Zamora", "Ochoa", "Delgado", "Fuentes",
              "Becerra", "Hoang", "Vu", "Adeyemi", "Brennan", "Doyle", "Gallagher", "Fitzgerald", "Lindqvist",
              "Olsen", "Hartman", "Crawford", "Boyd", "Mason", "Warren", "Dixon", "Ramsey", "Burke", "Lynch",
              "Snyder", "Hubbard", "Pope"]
#: Surnames and words the spoken-command examples use: they belong to one demo contact each, never to a random one.
RESERVED = {"johnson", "garcia", "henderson", "smith", "chen", "baker", "patel", "lee", "kim", "acme", "northside",
            "dental", "maria", "bob", "linda", "tom", "sarah", "david", "raj", "karen", "mark"}
COMPANY_PREFIXES = ["Riverside", "Lone-Star", "Bluebonnet", "Hill-Country", "Live-Oak", "Barton-Creek", "Mueller",
                    "Travis-Heights", "Capital-City", "Pecan-Street", "Zilker", "Shoal-Creek", "Onion-Creek",
                    "Brushy-Creek", "Walnut-Creek", "Balcones", "Eastside", "Southpark", "Westlake", "Allandale",
                    "Crestview", "Hyde-Park", "Clarksville", "Bouldin", "Rosedale", "Tarrytown", "Windsor-Park",
                    "Mesa-Verde", "Cherrywood", "Spicewood", "Great-Hills", "Circle-C", "Manchaca", "Oak-Hill",
                    "Steiner-Ranch", "Avery-Ranch", "Anderson-Mill", "Wells-Branch"]
COMPANY_SUFFIXES = ["Apartments", "Property Group", "Realty", "Family Medicine", "Animal Hospital", "Montessori",
                    "Baptist Church", "Coffee Co.", "Taqueria", "BBQ", "Brewing Co.", "Self Storage", "Townhomes HOA",
                    "Condominiums", "Veterinary Clinic", "Auto Repair", "Fitness", "Salon", "Properties LLC",
                    "Office Park", "Senior Living", "Pediatrics", "Bakery", "Learning Center"]
#: street, zip, city: real Austin-area streets with a plausible ZIP for them
STREETS = [
    ("Shoal Creek Blvd", "78757", "Austin"), ("Burnet Rd", "78757", "Austin"), ("Balcones Dr", "78731", "Austin"),
    ("Barton Hills Dr", "78704", "Austin"), ("Bluebonnet Ln", "78704", "Austin"), ("Westgate Blvd", "78745", "Austin"),
    ("Stassney Ln", "78745", "Austin"), ("Cherrywood Rd", "78722", "Austin"), ("Duval St", "78751", "Austin"),
    ("Enfield Rd", "78703", "Austin"), ("Windsor Rd", "78703", "Austin"), ("Exposition Blvd", "78703", "Austin"),
    ("Mesa Dr", "78731", "Austin"), ("Jollyville Rd", "78759", "Austin"), ("Great Hills Trl", "78759", "Austin"),
    ("Steck Ave", "78757", "Austin"), ("Greystone Dr", "78731", "Austin"), ("Northland Dr", "78756", "Austin"),
    ("Hancock Dr", "78756", "Austin"), ("Avenue F", "78751", "Austin"), ("Eilers Ave", "78751", "Austin"),
    ("Chestnut Ave", "78702", "Austin"), ("Manor Rd", "78722", "Austin"), ("Pleasant Valley Rd", "78741", "Austin"),
    ("Montopolis Dr", "78741", "Austin"), ("Elmont Dr", "78741", "Austin"), ("S 1st St", "78704", "Austin"),
    ("S 5th St", "78704", "Austin"), ("Manchaca Rd", "78745", "Austin"), ("Slaughter Ln", "78748", "Austin"),
    ("William Cannon Dr", "78749", "Austin"), ("Brodie Ln", "78748", "Austin"), ("Escarpment Blvd", "78749", "Austin"),
    ("Davis Ln", "78749", "Austin"), ("Anderson Mill Rd", "78750", "Austin"),
    ("Spicewood Springs Rd", "78759", "Austin"),
    ("Parmer Ln", "78727", "Austin"), ("McNeil Dr", "78729", "Austin"), ("Wells Branch Pkwy", "78728", "Austin"),
    ("Dessau Rd", "78753", "Austin"), ("Rundberg Ln", "78753", "Austin"), ("Berkman Dr", "78723", "Austin"),
    ("Cameron Rd", "78752", "Austin"), ("Koenig Ln", "78756", "Austin"), ("Airport Blvd", "78722", "Austin"),
    ("Oltorf St", "78704", "Austin"), ("Aldrich St", "78723", "Austin"), ("Zach Scott St", "78723", "Austin"),
    ("Lohmans Crossing", "78734", "Lakeway"), ("Lakeway Dr", "78734", "Lakeway"),
    ("Bee Cave Pkwy", "78738", "Bee Cave"), ("Westlake Dr", "78746", "West Lake Hills"),
    ("Jones Rd", "78745", "Sunset Valley"), ("Bull Creek Rd", "78731", "Austin"), ("Rio Grande St", "78705", "Austin"),
]
COMMERCIAL_STREETS = [
    ("Congress Ave", "78701", "Austin"), ("E 6th St", "78701", "Austin"), ("W 5th St", "78701", "Austin"),
    ("N Lamar Blvd", "78756", "Austin"), ("Research Blvd", "78759", "Austin"), ("Metric Blvd", "78758", "Austin"),
    ("Braker Ln", "78758", "Austin"), ("E Ben White Blvd", "78741", "Austin"), ("S Lamar Blvd", "78704", "Austin"),
    ("Burnet Rd", "78756", "Austin"), ("E Riverside Dr", "78741", "Austin"), ("Anderson Ln", "78757", "Austin"),
]
LEAD_SOURCES = ["Google Local Services", "Yelp", "Nextdoor", "Referral", "Website form", "Inbound call", "Angi"]
PAY_METHODS = ["card", "card", "card", "check", "ach", "cash"]


# ----------------------------------------------------------------------------------------------------------
# Plans (pure data, drawn from the seeded streams before anything is written)
# ----------------------------------------------------------------------------------------------------------

@dataclass
class _Person:
    name: str
    email: str
    phone: str
    role: Role
    trade: str = ""
    hours: dict[int, tuple[time, time]] = field(default_factory=dict)
    user_id: int | None = None
    actor: Actor | None = None


@dataclass
class _Pin:
    """A story job: on a day (offset from today), for a trade, for one named contact."""

    key: str
    offset: int
    trade: str
    template: str
    contact: str
    title: str | None = None
    at: time | None = None
    minutes: int | None = None
    status: JobStatus | None = None
    reason: str | None = None
    billing: str = "auto"  # auto | paid | partial | unpaid | none
    project: str | None = None
    note: str | None = None
    description: str | None = None


@dataclass
class _PlannedJob:
    tech: int
    start: datetime
    minutes: int
    template: _Template
    contact: int
    title: str
    created_at: datetime
    description: str | None = None
    pin: _Pin | None = None
    project: str | None = None
    status: JobStatus = JobStatus.SCHEDULED
    events: list[tuple[JobStatus, datetime, str | None]] = field(default_factory=list)
    note: tuple[datetime, str] | None = None
    number: int | None = None
    id: int | None = None

    @property
    def end(self) -> datetime:
        return self.start + timedelta(minutes=self.minutes)


class _Phones:
    """Fictional numbers: 555-0100..0199 in 512 and 737 first, then the rest of the 555 exchange."""

    def __init__(self, rng: random.Random) -> None:
        fictional = [f"{ac}555{n:04d}" for ac in ("512", "737") for n in range(100, 200)]
        fictional.remove("5125550100")  # the business's own line
        rng.shuffle(fictional)
        self._pool = fictional
        self._rng = rng
        self._used = set(fictional) | {"5125550100"}

    def take(self) -> str:
        if self._pool:
            digits = self._pool.pop()
        else:
            while True:
                digits = f"{self._rng.choice(('512', '737'))}555{self._rng.randint(200, 9999):04d}"
                if digits not in self._used and not digits.endswith("1212"):
                    break
        self._used.add(digits)
        return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"


#: child collections written with their parent
_CHILDREN = ("phones", "history", "notes", "lines", "payments", "reminders", "promises", "milestones")


async def _bulk_add(uow: UnitOfWork, objs: list[Any]) -> None:
    """Add and flush many new objects (with their children) in few round trips.

    PostgreSQL batches ORM inserts with RETURNING by itself. SQLite's dialect can't match RETURNING rows to a
    batch, so the ORM would insert row by row; there we take the write lock first, then number the rows past
    the current max(id) ourselves, which lets the ORM use one executemany per table."""
    if uow.store.is_sqlite:
        await uow.session.execute(sa.update(t.counters).where(t.counters.c.business_id == uow.business_id,
                                                               t.counters.c.kind == "job")
                                  .values(value=t.counters.c.value))  # a write: hold the lock from here on
        by_table: dict[sa.Table, list[Any]] = {}
        stack = list(objs)
        while stack:
            obj = stack.pop()
            if getattr(obj, "id", None) is None:
                by_table.setdefault(sa.inspect(type(obj)).local_table, []).append(obj)  # type: ignore[union-attr]
            for name in _CHILDREN:
                stack.extend(getattr(obj, name, ()) or ())
        for table, rows in by_table.items():
            top = (await uow.session.execute(sa.select(sa.func.max(table.c.id)))).scalar() or 0
            rows.reverse()  # the order they were found in, parents first
            for n, obj in enumerate(rows, start=top + 1):
                obj.id = n
    uow.session.add_all(objs)
    await uow.session.flush()


def _money(text: str) -> int:
    return int(Decimal(text) * 100)


def _local(day: date, at: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tz)


class _Generator:
    def __init__(self, store: Store, scale: int, seed: int, now: datetime, clock: _Clock) -> None:
        self.store, self.scale, self.seed, self.now, self.clock = store, scale, seed, now, clock
        self.tz = ZoneInfo(TIMEZONE)
        self.today = now.astimezone(self.tz).date()
        self.volume = math.sqrt(scale)  # team and workload grow slower than the customer list
        self.n_techs = max(4, round(4 * self.volume))
        self.density = min(0.8, 0.22 + 0.29 * math.log10(scale))
        self.business_id = 0
        self.contacts: list[Contact] = []
        self.contact_key: dict[str, int] = {}
        self.company: list[bool] = []
        self.products: dict[str, Product] = {}
        self.team: list[_Person] = []
        self.techs: list[_Person] = []
        self.jobs: list[_PlannedJob] = []
        self.project_ids: dict[str, tuple[int, int]] = {}
        self.events: list[tuple[datetime, int, Callable[[UnitOfWork], Awaitable[None]]]] = []
        self.numbers = {"job": 0, "invoice": 1000, "estimate": 0}
        self.phones = _Phones(self.rng("phones"))
        self.project_contact: dict[str, int] = {}

    def rng(self, phase: str) -> random.Random:
        return random.Random(f"hero365-demo/{self.seed}/{phase}")

    def at(self, day_offset: int, hour: int, minute: int = 0) -> datetime:
        return _local(self.today + timedelta(days=day_offset), time(hour, minute), self.tz)

    def before_now(self, when: datetime, margin_minutes: int = 5) -> datetime:
        return min(when, self.now - timedelta(minutes=margin_minutes))

    # ---------------------------------------------------------------------------------------------- team
    def plan_team(self) -> None:
        rng = self.rng("team")
        phones = self.phones
        d = DEMO_DOMAIN
        self.team = [
            _Person("Marcus Hale", f"marcus@{d}", phones.take(), Role.OWNER),
            _Person("Dana Whitfield", f"dana@{d}", phones.take(), Role.OFFICE),
        ]
        fixed = [("Mike Alvarez", "plumbing"), ("Jake Turner", "hvac"), ("Darnell Brooks", "electrical"),
                 ("Rosa Villarreal", "plumbing")]
        used = {p.name for p in self.team} | {n for n, _ in fixed}

        def new_name() -> str:
            while True:
                first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
                if f"{first} {last}" not in used and first.lower() not in RESERVED and last.lower() not in RESERVED:
                    used.add(f"{first} {last}")
                    return f"{first} {last}"

        names = list(fixed)
        while len(names) < self.n_techs:
            names.append((new_name(), TRADES[len(names) % len(TRADES)]))
        if self.scale >= 10:  # a bigger shop has dispatchers too
            for _ in range(max(1, round(self.volume / 3))):
                name = new_name()
                first, last = name.lower().split(" ", 1)
                self.team.append(_Person(name, f"{first}.{last}@{d}", phones.take(), Role.OFFICE))
        starts = [time(7, 30), time(8, 0), time(7, 0), time(8, 0)]
        for i, (name, trade) in enumerate(names):
            first, last = name.lower().split(" ", 1)
            start = starts[i % len(starts)]
            end = time(start.hour + 9, start.minute)
            hours = {wd: (start, end) for wd in range(5)}
            if i % 2 == 1:
                hours[5] = (time(8, 0), time(12, 0))  # every other technician works Saturday mornings
            if i % 4 == 0:
                hours[6] = (time(10, 0), time(14, 0))  # on call for Sunday emergencies
            tech = _Person(name, f"{first}.{last.replace(' ', '')}@{d}", phones.take(), Role.TECHNICIAN, trade, hours)
            self.team.append(tech)
            self.techs.append(tech)

    async def create_team(self) -> None:
        self.clock.at = self.now - timedelta(days=3 * 365 + 41)
        owner = self.team[0]
        biz, user = await businesses.create_business(
            self.store, DEMO_NAME, TIMEZONE, owner_name=owner.name, owner_email=owner.email,
            phone="+15125550100", email=DEMO_EMAIL, street="2100 Kramer Ln, Suite 300", city="Austin", state="TX",
            postal_code="78758", tax_rate_bp=TAX_RATE_BP, payment_terms_days=30)
        assert biz.id is not None and user.id is not None
        self.business_id = biz.id
        owner.user_id = user.id
        owner.actor = await businesses.actor_for(self.store, user.id, biz.id)
        for person in self.team[1:]:
            self.clock.at += timedelta(days=17)
            u = await businesses.add_member(self.store, owner.actor, person.name, person.email, person.role,
                                            phone=normalize_phone(person.phone))
            assert u.id is not None
            person.user_id = u.id
            person.actor = Actor(user_id=u.id, business_id=biz.id, role=person.role, name=u.name)
        for tech in self.techs:
            blocks: dict[tuple[time, time], list[int]] = {}
            for wd, block in sorted(tech.hours.items()):
                blocks.setdefault(block, []).append(wd)
            for (start, end), days in blocks.items():
                await businesses.set_working_hours(self.store, owner.actor, tech.user_id or 0, days, start, end)

    @property
    def owner(self) -> Actor:
        assert self.team[0].actor is not None
        return self.team[0].actor

    @property
    def office(self) -> Actor:
        assert self.team[1].actor is not None
        return self.team[1].actor

    # ------------------------------------------------------------------------------------------- catalog
    async def create_catalog(self) -> None:
        b = self.business_id
        items = [Product(business_id=b, sku=sku, name=name, unit=unit, unit_price_cents=_money(price),
                         unit_cost_cents=_money(cost), stock_on_hand=stock, reorder_point=rp, reorder_quantity=rq,
                         supplier=supplier)
                 for sku, name, unit, price, cost, supplier, stock, rp, rq in PARTS]
        items += [Product(business_id=b, sku=sku, name=name, kind=ProductKind.SERVICE, unit=unit,
                          unit_price_cents=_money(price)) for sku, name, unit, price in SERVICES]
        async with self.store.uow(b) as uow:
            await _bulk_add(uow, items)
        self.products = {p.sku: p for p in items}

    # ------------------------------------------------------------------------------------------ contacts
    def plan_contacts(self) -> None:
        rng = self.rng("contacts")
        phones = self.phones
        b, total = self.business_id, 60 * self.scale
        story = [
            ("johnson", "Karen Johnson", None, "Avenue F", "78751", "Austin"),
            ("garcia", "Maria Garcia", None, "Westgate Blvd", "78745", "Austin"),
            ("henderson", "Mark Henderson", None, "Greystone Dr", "78731", "Austin"),
            ("smith", "Bob Smith", None, "Manchaca Rd", "78745", "Austin"),
            ("chen", "Linda Chen", None, "Great Hills Trl", "78759", "Austin"),
            ("baker", "Tom Baker", None, "Cherrywood Rd", "78722", "Austin"),
            ("patel", "Raj Patel", None, "Escarpment Blvd", "78749", "Austin"),
            ("acme", "Acme Property Management", "Acme Property Management", "Research Blvd", "78759", "Austin"),
            ("lee", "Sarah Lee", None, "Bluebonnet Ln", "78704", "Austin"),
            ("kim", "David Kim", None, "Parmer Ln", "78727", "Austin"),
            ("northside", "Northside Dental", "Northside Dental", "Burnet Rd", "78756", "Austin"),
        ]
        n_random = total - len(story)
        n_companies = max(2, round(total * 0.07))
        n_leads = max(4, round(total * 0.1))
        slots = list(range(n_random))
        rng.shuffle(slots)
        company_slots = set(slots[:n_companies])
        lead_slots = set(slots[n_companies:n_companies + n_leads])
        used_names = {s[1] for s in story}
        used_emails: set[str] = set()
        created_span = 4 * 365

        def email_for(name: str, company: bool) -> str:
            if company:
                slug = "".join(ch for ch in name.lower() if ch.isalnum())[:28]
                base = f"billing@{slug}.example"
            else:
                first, last = name.lower().split(" ", 1)
                style = rng.random()
                local = f"{first}.{last}" if style < 0.6 else f"{first[0]}{last}" if style < 0.85 else f"{first}{last}"
                base = f"{local.replace(' ', '')}@{rng.choice(('example.com', 'example.net', 'example.org'))}"
            email, n = base, 2
            while email in used_emails:
                email, n = base.replace("@", f"{n}@"), n + 1
            used_emails.add(email)
            return email

        def make(name: str, company: str | None, street: tuple[str, str, str], kind: ContactKind,
                 created: datetime) -> Contact:
            suite = f", Suite {rng.choice((100, 110, 200, 210, 300, 450))}" if company else ""
            contact = Contact(business_id=b, name=name, kind=kind, company=company,
                              email=email_for(name, company is not None) if rng.random() < 0.93 or company else None,
                              street=f"{rng.randint(100, 12999)} {street[0]}{suite}", city=street[2], state="TX",
                              postal_code=street[1], timezone=TIMEZONE, created_at=created)
            return contact

        def created_at(lead: bool) -> datetime:
            days = rng.randint(1, 45) if lead else rng.randint(30, created_span)
            return self.now - timedelta(days=days, minutes=rng.randint(0, 600))

        for key, name, company, street, zip_, city in story:
            c = make(name, company, (street, zip_, city), ContactKind.CUSTOMER, created_at(False))
            c.add_phone(phones.take(), "work" if company else "mobile")
            self.contact_key[key] = len(self.contacts)
            self.contacts.append(c)
            self.company.append(company is not None)

        for slot in range(n_random):
            is_company, is_lead = slot in company_slots, slot in lead_slots
            if is_company:
                while True:
                    name = f"{rng.choice(COMPANY_PREFIXES).replace('-', ' ')} {rng.choice(COMPANY_SUFFIXES)}"
                    if name not in used_names:
                        break
                c = make(name, name, rng.choice(COMMERCIAL_STREETS), ContactKind.CUSTOMER, created_at(False))
            else:
                while True:
                    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
                    name = f"{first} {last}"
                    if name not in used_names and first.lower() not in RESERVED and last.lower() not in RESERVED:
                        break
                kind = ContactKind.LEAD if is_lead else ContactKind.CUSTOMER
                c = make(name, None, rng.choice(STREETS), kind, created_at(is_lead))
                if is_lead:
                    c.lead_status = rng.choice((LeadStatus.NEW, LeadStatus.NEW, LeadStatus.CONTACTED,
                                                LeadStatus.QUALIFIED, LeadStatus.LOST))
                    c.lead_source = rng.choice(LEAD_SOURCES)
            used_names.add(name)
            if is_company or rng.random() < 0.96:
                c.add_phone(phones.take(), "work" if is_company else "mobile")
                if rng.random() < 0.15:
                    c.add_phone(phones.take(), rng.choice(("home", "work")))
            elif c.email is None:
                c.add_phone(phones.take(), "home")
            self.contacts.append(c)
            self.company.append(is_company)

        # consent and do-not-call, with when and how
        rng2 = self.rng("consent")
        for c in self.contacts:
            assert c.created_at is not None
            if rng2.random() < 0.35:
                c.give_consent(c.created_at + timedelta(minutes=20),
                               rng2.choice(("website form", "service agreement signup", "asked on a call")))
        n_dnc = 2 if self.scale == 1 else round(total * 0.01)
        story_ids = set(self.contact_key.values())
        candidates = [i for i, c in enumerate(self.contacts) if i not in story_ids and c.phones
                      and c.kind == ContactKind.CUSTOMER and not self.company[i]]
        for i in rng2.sample(candidates, min(n_dnc, len(candidates))):
            c = self.contacts[i]
            c.opt_out(self.now - timedelta(days=rng2.randint(3, 200)), "asked on a call")

    async def create_contacts(self) -> None:
        for i in range(0, len(self.contacts), 1500):
            async with self.store.uow(self.business_id) as uow:
                await _bulk_add(uow, self.contacts[i:i + 1500])

    # ------------------------------------------------------------------------------------------ schedule
    def story_pins(self) -> list[_Pin]:
        return [
            _Pin("johnson-flush", -41, "plumbing", "wh_replace", "johnson", title="Water heater flush and inspection",
                 minutes=60, billing="paid", note="Tank is 13 years old with sediment; recommended replacement soon."),
            _Pin("johnson-today", 0, "plumbing", "wh_replace", "johnson", at=time(9, 0), minutes=240,
                 description="Replace 13-year-old 40 gallon gas water heater; customer approved on the phone."),
            _Pin("garcia-drain", -33, "plumbing", "drain", "garcia", billing="paid"),
            _Pin("garcia-today", 0, "hvac", "ac_fix", "garcia", at=time(13, 0), minutes=120,
                 description="Upstairs unit blowing warm air; thermostat set to 72, house at 81."),
            _Pin("smith-toilet", -20, "plumbing", "toilet", "smith", billing="partial"),
            _Pin("chen-tune", -26, "hvac", "ac_tune", "chen", billing="paid",
                 note="System is 16 years old on R-22; gave options for a heat pump replacement."),
            _Pin("baker-panel", -46, "electrical", "panel", "baker", billing="partial-overdue"),
            _Pin("patel-leak", 3, "plumbing", "leak", "patel", at=time(10, 0)),
            _Pin("kim-heatpump", -2, "hvac", "heatpump", "kim", status=JobStatus.ON_HOLD,
                 reason="Waiting on a compressor contactor and a reversing valve from Johnstone Supply"),
            _Pin("lee-tune", 1, "hvac", "ac_tune", "lee", at=time(8, 0)),
            _Pin("acme-ac", -50, "hvac", "ac_fix", "acme", title="Unit 12B: AC not cooling", billing="unpaid"),
            _Pin("acme-drain", -38, "plumbing", "drain", "acme", title="Unit 4A: kitchen drain backed up",
                 billing="unpaid"),
            _Pin("acme-hold", 4, "plumbing", "faucet", "acme", title="Unit 7C: tub faucet leaking", at=time(14, 0),
                 status=JobStatus.ON_HOLD, reason="Tenant asked to wait until the move-out inspection"),
            _Pin("northside-prv", -15, "plumbing", "prv", "northside", billing="paid"),
            # project 3: the Henderson kitchen remodel
            _Pin("hend-1", -24, "plumbing", "burst", "henderson", title="Kitchen remodel: demo and rough-in plumbing",
                 minutes=480, project="henderson", billing="none", at=time(8, 0)),
            _Pin("hend-2", -17, "electrical", "lighting", "henderson", title="Kitchen remodel: electrical rough-in",
                 minutes=360, project="henderson", billing="none", at=time(8, 0)),
            _Pin("hend-3", -10, "electrical", "gfci", "henderson", title="Kitchen remodel: rough-in inspection",
                 minutes=60, project="henderson", billing="none", at=time(10, 0)),
            _Pin("hend-4", 6, "plumbing", "disposal", "henderson",
                 title="Kitchen remodel: set sink, faucet and disposal",
                 minutes=240, project="henderson", at=time(8, 0)),
            _Pin("hend-5", 12, "electrical", "fan", "henderson", title="Kitchen remodel: final walkthrough",
                 minutes=90, project="henderson", at=time(13, 0)),
            # project 4: Acme's water heaters
            _Pin("acme-wh-1", -9, "plumbing", "wh_replace", "acme", title="Riverside Commons: water heaters, units 1-2",
                 minutes=480, project="acme", billing="none", at=time(8, 0)),
            _Pin("acme-wh-2", -3, "plumbing", "wh_replace", "acme", title="Riverside Commons: water heaters, units 3-4",
                 minutes=480, project="acme", billing="none", at=time(8, 0)),
            _Pin("acme-wh-3", 5, "plumbing", "wh_replace", "acme", title="Riverside Commons: water heaters, units 5-6",
                 minutes=480, project="acme", at=time(8, 0)),
            _Pin("acme-wh-4", 11, "plumbing", "wh_replace", "acme", title="Riverside Commons: water heaters, units 7-8",
                 minutes=480, project="acme", at=time(8, 0)),
        ]

    def extra_project_pins(self, rng: random.Random) -> tuple[list[_Pin], list[dict[str, Any]]]:
        """Projects beyond the story ones, for bigger scales."""
        kinds = [("Bathroom remodel", "plumbing", "burst", 24_000), ("Whole-home repipe", "plumbing", "burst", 16_500),
                 ("Tenant finish-out", "electrical", "lighting", 42_000), ("HVAC system replacement", "hvac",
                                                                            "heatpump", 14_800),
                 ("Solar-ready panel and EV upgrade", "electrical", "panel", 9_800)]
        pins: list[_Pin] = []
        specs: list[dict[str, Any]] = []
        extra = max(0, round(2 * (self.volume - 1)))
        eligible = [i for i in range(len(self.contacts)) if self.contacts[i].kind == ContactKind.CUSTOMER
                    and i not in set(self.contact_key.values())]
        for n in range(extra):
            label, trade, tmpl, budget = kinds[n % len(kinds)]
            ci = rng.choice(eligible)
            key = f"extra-{n}"
            self.contact_key[key] = ci
            first_day = rng.randint(-45, -5)
            specs.append({"key": key, "contact": key, "name": f"{self.contacts[ci].name.split()[-1]} {label.lower()}"
                          if not self.company[ci] else f"{self.contacts[ci].name}: {label.lower()}",
                          "budget": budget * 100, "start": first_day, "target": first_day + rng.randint(30, 60)})
            for k, off in enumerate((first_day, first_day + 7, first_day + rng.randint(14, 30))):
                if off > FUTURE_DAYS:
                    continue
                pins.append(_Pin(f"{key}-{k}", off, trade, tmpl, key, title=f"{label}: visit {k + 1}",
                                 minutes=rng.choice((240, 360, 480)), project=key, billing="none", at=time(8, 0)))
        return pins, specs

    def plan_schedule(self, pins: list[_Pin]) -> None:
        rng = self.rng("schedule")
        customers = [i for i, c in enumerate(self.contacts) if c.kind == ContactKind.CUSTOMER]
        reserved = {v for k, v in self.contact_key.items() if k not in ("acme", "northside")}
        pool = [i for i in customers if i not in reserved]
        cum_weights = list(itertools.accumulate(5 if self.company[i] else 1 for i in pool))
        by_trade: dict[str, list[_Template]] = {}
        for tp in TEMPLATES:
            by_trade.setdefault(tp.trade, []).append(tp)
        # assign pins to technicians' days
        day_pins: dict[tuple[int, int], list[_Pin]] = {}
        for pin in pins:
            placed = False
            for off in range(pin.offset, pin.offset + 4):
                day = self.today + timedelta(days=off)
                options = [i for i, tech in enumerate(self.techs) if day.weekday() in tech.hours
                           and tech.trade == pin.trade] or [i for i, tech in enumerate(self.techs)
                                                             if day.weekday() in tech.hours]
                options.sort(key=lambda i: len(day_pins.get((off, i), [])))
                if options and off <= FUTURE_DAYS:
                    day_pins.setdefault((off, options[0]), []).append(pin)
                    placed = True
                    break
            if not placed:
                continue
        for off in range(-PAST_DAYS, FUTURE_DAYS + 1):
            day = self.today + timedelta(days=off)
            if off < 0:
                p = self.density
            elif off == 0:
                p = max(self.density, 0.7)
            elif off <= 3:
                p = self.density * 0.9
            elif off <= 7:
                p = self.density * 0.6
            else:
                p = self.density * 0.3
            if day.weekday() == 5:
                p *= 0.8
            elif day.weekday() == 6:
                p *= 0.5
            for ti, tech in enumerate(self.techs):
                block = tech.hours.get(day.weekday())
                if block is None:
                    continue
                open_, close = _local(day, block[0], self.tz), _local(day, block[1], self.tz)
                busy: list[tuple[datetime, datetime]] = []
                for pin in sorted(day_pins.get((off, ti), []), key=lambda x: x.at or time(0)):
                    tmpl = TEMPLATE[pin.template]
                    minutes = pin.minutes or tmpl.minutes[0]
                    minutes = min(minutes, int((close - open_).total_seconds() // 60))
                    want = _local(day, pin.at, self.tz) if pin.at else open_
                    start = max(open_, want)
                    gap, length = timedelta(minutes=30), timedelta(minutes=minutes)
                    clash = True
                    while clash:
                        clash = False
                        for s, e in busy:
                            if start < e + gap and s - gap < start + length:
                                start, clash = e + gap, True
                    if start + length > close:
                        start = close - length
                        if start < open_ or any(start < e + gap and s - gap < start + length for s, e in busy):
                            continue
                    busy.append((start, start + timedelta(minutes=minutes)))
                    self.jobs.append(self._planned(rng, ti, start, minutes, tmpl, self.contact_key[pin.contact],
                                                   pin.title or tmpl.title, pin))
                busy.sort()
                cursor = open_ + timedelta(minutes=rng.choice((0, 0, 30)))
                while cursor + timedelta(minutes=60) <= close:
                    ahead = [(s, e) for s, e in busy if e + timedelta(minutes=30) > cursor]
                    limit = (ahead[0][0] - timedelta(minutes=30)) if ahead else close
                    if ahead and cursor >= ahead[0][0] - timedelta(minutes=30):
                        cursor = ahead[0][1] + timedelta(minutes=30)
                        continue
                    room = int((limit - cursor).total_seconds() // 60)
                    if room < 60:
                        cursor = ahead[0][1] + timedelta(minutes=30) if ahead else close
                        continue
                    if rng.random() >= p:
                        cursor += timedelta(minutes=rng.choice((60, 90, 120)))
                        continue
                    fits = [tp for tp in by_trade[tech.trade] if min(tp.minutes) <= room]
                    tmpl = rng.choices(fits, [tp.weight for tp in fits])[0]
                    minutes = rng.choice([m for m in tmpl.minutes if m <= room])
                    ci = rng.choices(pool, cum_weights=cum_weights)[0]
                    title = tmpl.title
                    if self.company[ci] and rng.random() < 0.6:
                        title = f"Unit {rng.randint(1, 24)}{rng.choice('ABCD')}: {title}"
                    self.jobs.append(self._planned(rng, ti, cursor, minutes, tmpl, ci, title, None))
                    cursor += timedelta(minutes=minutes + rng.choice((30, 30, 60)))
        self.jobs.sort(key=lambda j: (j.start, j.tech))
        self._decide_statuses()

    def _planned(self, rng: random.Random, tech: int, start: datetime, minutes: int, tmpl: _Template, contact: int,
                 title: str, pin: _Pin | None) -> _PlannedJob:
        lead_days = rng.choice((0, 1, 1, 2, 2, 3, 4, 5, 7, 10))
        booked = start - timedelta(days=lead_days)
        booked = booked.replace(hour=rng.randint(8, 16), minute=rng.choice((5, 12, 20, 34, 41, 55)))
        if booked >= start - timedelta(minutes=90):
            booked = start - timedelta(hours=rng.randint(2, 20))
        booked = min(booked, self.now - timedelta(minutes=rng.randint(30, 600)))
        description = pin.description if pin and pin.description else (
            rng.choice(tmpl.descriptions) if tmpl.descriptions and rng.random() < 0.6 else None)
        return _PlannedJob(tech=tech, start=start, minutes=minutes, template=tmpl, contact=contact, title=title,
                           created_at=booked, description=description, pin=pin,
                           project=pin.project if pin else None)

    def _decide_statuses(self) -> None:
        rng = self.rng("statuses")
        today_start = _local(self.today, time(0), self.tz)
        for job in self.jobs:
            pin = job.pin
            start_at = job.start + timedelta(minutes=rng.choice((0, 5, 10, 15)))
            done_at = job.end + timedelta(minutes=rng.choice((-10, 0, 5, 15, 25)))
            if pin and pin.status == JobStatus.ON_HOLD:
                job.status = JobStatus.ON_HOLD
                if job.start <= self.now:
                    job.events.append((JobStatus.IN_PROGRESS, start_at, None))
                    job.events.append((JobStatus.ON_HOLD, min(start_at + timedelta(minutes=50), self.now), pin.reason))
                else:
                    job.events.append((JobStatus.ON_HOLD, self.before_now(job.created_at + timedelta(days=1)),
                                       pin.reason))
            elif job.start < today_start:
                roll = rng.random()
                if pin is None and roll < 0.06:
                    job.status = JobStatus.CANCELLED
                    when = job.created_at + (job.start - job.created_at) * rng.uniform(0.3, 0.95)
                    job.events.append((JobStatus.CANCELLED, when, rng.choice(
                        ("Customer cancelled: fixed it themselves", "Customer cancelled: went with another company",
                         "Customer rescheduled, will call back", "Tenant not home, property manager cancelled"))))
                elif pin is None and roll < 0.075 and job.start >= today_start - timedelta(days=7):
                    job.status = JobStatus.ON_HOLD
                    job.events.append((JobStatus.IN_PROGRESS, start_at, None))
                    job.events.append((JobStatus.ON_HOLD, start_at + timedelta(minutes=45),
                                       "Waiting on parts from the supplier"))
                else:
                    job.status = JobStatus.COMPLETED
                    job.events.append((JobStatus.IN_PROGRESS, start_at, None))
                    job.events.append((JobStatus.COMPLETED, done_at, None))
            else:  # today and later: by the clock
                if pin is None and job.start > self.now and rng.random() < 0.03:
                    job.status = JobStatus.CANCELLED
                    job.events.append((JobStatus.CANCELLED,
                                       self.before_now(job.created_at + timedelta(hours=rng.randint(2, 48))),
                                       "Customer cancelled: schedule conflict"))
                elif start_at <= self.now:
                    job.events.append((JobStatus.IN_PROGRESS, start_at, None))
                    job.status = JobStatus.IN_PROGRESS
                    if done_at <= self.now:
                        job.events.append((JobStatus.COMPLETED, done_at, None))
                        job.status = JobStatus.COMPLETED
            tmpl = job.template
            if pin and pin.note:
                job.note = (done_at, pin.note)
            elif job.status == JobStatus.COMPLETED and tmpl.notes and rng.random() < 0.3:
                job.note = (done_at - timedelta(minutes=5), rng.choice(tmpl.notes))
            elif job.status != JobStatus.CANCELLED and rng.random() < 0.06:
                job.note = (self.before_now(job.created_at + timedelta(minutes=10)),
                            rng.choice(("Gate code 4412.", "Two dogs in the backyard; call on arrival.",
                                        "Park on the street, HOA rules.", "Customer works from home; text first.")))
            if job.note and job.note[0] > self.now:
                job.note = None

    # ----------------------------------------------------------------------------------------- projects
    async def create_projects(self, extra_specs: list[dict[str, Any]]) -> None:
        """Projects through the services, with the clock at each step; the story ones are numbers 1-4."""
        specs: list[dict[str, Any]] = [
            {"key": "garcia-bath", "contact": "garcia", "name": "Garcia guest bathroom remodel", "budget": 1_860_000,
             "start": -160, "target": -118, "spent": [(-150, 690_000), (-131, 820_000), (-119, 244_000)],
             "milestones": [("Demo and rough-in", -148, True), ("Tile and fixtures", -128, True),
                            ("Final inspection", -119, True)], "progress": [(-118, 100)]},
            {"key": "northside-buildout", "contact": "northside",
             "name": "Northside Dental: suite 210 plumbing build-out",
             "budget": 2_450_000, "start": -110, "target": -75, "spent": [(-100, 1_120_000), (-80, 1_190_000)],
             "milestones": [("Underground plumbing", -100, True), ("Operatory sinks and vacuum lines", -85, True),
                            ("City final", -76, True)], "progress": [(-76, 100)]},
            {"key": "henderson", "contact": "henderson", "name": "Henderson kitchen remodel", "budget": 3_850_000,
             "start": -26, "target": 14, "spent": [(-24, 940_000), (-17, 612_000), (-10, 622_000)],
             "milestones": [("Demo and rough-in plumbing", -22, True),
                            ("Electrical rough-in and inspection", -10, True),
                            ("Cabinets and countertops", 4, False), ("Fixture install", 7, False),
                            ("Final inspection", 13, False)], "progress": [(-22, 20), (-10, 45), (-2, 55)]},
            {"key": "acme", "contact": "acme", "name": "Riverside Commons water heater replacements (8 units)",
             "budget": 1_800_000, "start": -12, "target": 13, "spent": [(-9, 452_000), (-3, 471_000)],
             "milestones": [("Units 1-4 replaced", -3, True), ("Units 5-8 replaced", 11, False),
                            ("City permit final inspection", 13, False)], "progress": [(-9, 25), (-3, 50)]},
        ]
        specs += extra_specs
        rng = self.rng("projects")
        actor = self.owner
        for spec in specs:
            when = self.at(spec["start"] - 7, 10, 30)
            self.clock.at = self.before_now(when)
            async with self.store.uow(self.business_id) as uow:
                ci = self.contact_key[spec["contact"]]
                self.project_contact[spec["key"]] = ci
                project = await projects.create_project(
                    uow, actor, self.contacts[ci].id or 0, spec["name"], spec["budget"],
                    self.today + timedelta(days=spec["start"]), self.today + timedelta(days=spec["target"]))
                milestones = spec.get("milestones") or [
                    ("Rough-in", spec["start"] + 7, spec["start"] + 7 < 0),
                    ("Finish work", spec["target"] - 7, spec["target"] - 7 < 0),
                    ("Final walkthrough", spec["target"], spec["target"] < 0)]
                for title, due, done in milestones:
                    m = await projects.create_project_milestone(uow, actor, title, self.today + timedelta(days=due),
                                                                number=project.number)
                    if done:
                        m.completed_at = self.at(due, 16, 30)
                assert project.id is not None
                self.project_ids[spec["key"]] = (project.id, project.number)
            spent = spec.get("spent") or [(spec["start"] + 3, spec["budget"] * rng.randint(15, 30) // 100)]
            progress = spec.get("progress") or [(min(-1, spec["start"] + 10), rng.choice((20, 30, 40)))]
            steps = sorted([(off, "cost", v) for off, v in spent] + [(off, "progress", v) for off, v in progress])
            for off, what, value in steps:
                if off >= 0:
                    continue
                self.clock.at = self.at(off, 17, 10)
                async with self.store.uow(self.business_id) as uow:
                    if what == "cost":
                        await projects.record_project_cost(uow, actor, project.number, value)
                    else:
                        await projects.update_project_progress(uow, actor, value, number=project.number)

    # ------------------------------------------------------------------------------------ jobs (history)
    async def create_past_jobs(self) -> None:
        """Jobs before today: domain objects with their real times and history (the service refuses the past)."""
        today_start = _local(self.today, time(0), self.tz)
        past = sorted((j for j in self.jobs if j.start < today_start), key=lambda j: j.created_at)
        objs: list[Job] = []
        b = self.business_id
        for pj in past:
            self.numbers["job"] += 1
            pj.number = self.numbers["job"]
            c = self.contacts[pj.contact]
            tech = self.techs[pj.tech]
            job = Job(business_id=b, number=pj.number, title=pj.title, contact_id=c.id or 0, scheduled_start=pj.start,
                      duration_minutes=pj.minutes, technician_id=tech.user_id, description=pj.description,
                      street=c.street, city=c.city, state=c.state, postal_code=c.postal_code,
                      project_id=self.project_ids[pj.project][0] if pj.project else None,
                      created_at=pj.created_at, updated_at=pj.created_at)
            for status, at, reason in pj.events:
                job.change_status(status, at, tech.user_id if status != JobStatus.CANCELLED else self.office.user_id,
                                  reason)
            if pj.start - pj.created_at > timedelta(hours=20) and job.status == JobStatus.COMPLETED:
                job.confirmed_at = pj.start - timedelta(hours=18)
            if pj.note:
                job.add_note(pj.note[1], pj.note[0], tech.user_id)
            objs.append(job)
        for i in range(0, len(objs), 1000):
            async with self.store.uow(b) as uow:
                await _bulk_add(uow, objs[i:i + 1000])
        for pj, job in zip(past, objs, strict=True):
            pj.id = job.id

    # ---------------------------------------------------------------------------- jobs (through services)
    def plan_job_events(self) -> None:
        """Today's and future jobs: booked, started, finished, held, cancelled and confirmed via the services."""
        rng = self.rng("job-events")
        today_start = _local(self.today, time(0), self.tz)
        for pj in (j for j in self.jobs if j.start >= today_start):
            tech = self.techs[pj.tech]
            self._event(pj.created_at, self._book(pj))
            for status, at, reason in pj.events:
                actor = self.office if status in (JobStatus.CANCELLED, JobStatus.ON_HOLD) and pj.start > self.now \
                    else tech.actor
                self._event(at, self._status(pj, status, reason, actor))
            if pj.note:
                self._event(pj.note[0], self._note(pj, pj.note[1],
                                                   tech.actor if pj.note[0] >= pj.start else self.office))
            if (pj.status == JobStatus.SCHEDULED and pj.start - pj.created_at > timedelta(hours=30)
                    and rng.random() < 0.7):
                confirm = (pj.start - timedelta(days=1)).replace(hour=16, minute=rng.choice((5, 20, 40)))
                if pj.created_at < confirm < self.now:
                    self._event(confirm, self._confirm(pj))
            if pj.status == JobStatus.COMPLETED and rng.random() < 0.6:
                done = next(at for st, at, _ in pj.events if st == JobStatus.COMPLETED)
                when = done + timedelta(minutes=rng.randint(5, 25))
                if when < self.now and pj.project is None:
                    self._event(when, self._draft_invoice(pj, rng))

    def _event(self, at: datetime, handler: Callable[[UnitOfWork], Awaitable[None]]) -> None:
        self.events.append((at, len(self.events), handler))

    def _book(self, pj: _PlannedJob) -> Callable[[UnitOfWork], Awaitable[None]]:
        async def run(uow: UnitOfWork) -> None:
            job = await job_services.create_job(
                uow, self.office, self.contacts[pj.contact].id or 0, pj.title, pj.start, pj.minutes,
                self.techs[pj.tech].user_id, description=pj.description,
                project_id=self.project_ids[pj.project][0] if pj.project else None)
            pj.number, pj.id = job.number, job.id
        return run

    def _status(self, pj: _PlannedJob, status: JobStatus, reason: str | None,
                actor: Actor | None) -> Callable[[UnitOfWork], Awaitable[None]]:
        async def run(uow: UnitOfWork) -> None:
            assert actor is not None
            await job_services.update_job_status(uow, actor, status, number=pj.number, reason=reason)
        return run

    def _note(self, pj: _PlannedJob, text: str, actor: Actor | None) -> Callable[[UnitOfWork], Awaitable[None]]:
        async def run(uow: UnitOfWork) -> None:
            assert actor is not None
            await job_services.add_job_note(uow, actor, text, number=pj.number)
        return run

    def _confirm(self, pj: _PlannedJob) -> Callable[[UnitOfWork], Awaitable[None]]:
        async def run(uow: UnitOfWork) -> None:
            await job_services.confirm_appointment(uow, self.office, pj.number)
        return run

    def _draft_invoice(self, pj: _PlannedJob, rng: random.Random) -> Callable[[UnitOfWork], Awaitable[None]]:
        lines = self._lines(pj.template, rng)

        async def run(uow: UnitOfWork) -> None:
            await billing.create_invoice(uow, self.techs[pj.tech].actor, job_number=pj.number,  # type: ignore[arg-type]
                                         title=pj.title, lines=[(d, q, p) for d, q, p, _ in lines])
        return run

    def _reorder(self, sku: str, qty: int, actor: Actor) -> Callable[[UnitOfWork], Awaitable[None]]:
        async def run(uow: UnitOfWork) -> None:
            await inventory.reorder_product(uow, actor, sku, qty)
        return run

    async def run_events(self) -> None:
        self.events.sort(key=lambda e: (e[0], e[1]))
        for i in range(0, len(self.events), 25):  # small units of work: a big session slows every autoflush
            async with self.store.uow(self.business_id) as uow:
                for at, _, handler in self.events[i:i + 25]:
                    self.clock.at = at
                    await handler(uow)
        self.clock.at = self.now

    # ---------------------------------------------------------------------------------- billing history
    def _lines(self, tmpl: _Template, rng: random.Random) -> list[tuple[str, Decimal, int, int | None]]:
        lines: list[tuple[str, Decimal, int, int | None]] = []
        if tmpl.service:
            svc = self.products[tmpl.service]
            qty = Decimal(rng.randint(2, 4)) if svc.unit == "lb" else Decimal(1)
            lines.append((svc.name, qty, svc.unit_price_cents, svc.id))
        for p, group in tmpl.parts:
            if rng.random() < p:
                sku, lo, hi = rng.choice(group)
                part = self.products[sku]
                lines.append((part.name, Decimal(rng.randint(lo, hi)), part.unit_price_cents, part.id))
        hours = rng.randint(*tmpl.labor_hours)
        if hours:
            labor = self.products["SV-LABOR"]
            lines.append((labor.name, Decimal(hours), labor.unit_price_cents, labor.id))
        return lines

    async def create_billing_history(self) -> dict[str, int]:
        """Estimates, invoices and payments for the work before today, with their real dates."""
        rng = self.rng("billing")
        b = self.business_id
        today_start = _local(self.today, time(0), self.tz)
        invoices: list[tuple[datetime, Invoice, list[tuple[str, int, datetime]], datetime | None]] = []
        estimates: list[Estimate] = []
        converted: list[tuple[Estimate, Invoice]] = []

        def new_invoice(contact: Contact, title: str, created: datetime, job_id: int | None,
                        lines: list[tuple[str, Decimal, int, int | None]]) -> Invoice:
            inv = Invoice(business_id=b, number=0, contact_id=contact.id or 0, title=title,
                          due_date=created.astimezone(self.tz).date() + timedelta(days=30), tax_rate_bp=TAX_RATE_BP,
                          job_id=job_id, created_at=created)
            for desc, qty, price, product_id in lines:
                inv.add_line(desc, qty, price, product_id)
            return inv

        def payments_for(inv: Invoice, created: datetime, behaviour: str, commercial: bool
                         ) -> tuple[list[tuple[str, int, datetime]], datetime | None]:
            total = inv.total_cents
            pays: list[tuple[str, int, datetime]] = []
            if behaviour == "auto":
                roll = rng.random()
                on_site, later, partial = (0.1, 0.84, 0.9) if commercial else (0.6, 0.91, 0.95)
                behaviour = ("paid-now" if roll < on_site else "paid-later" if roll < later
                             else "partial" if roll < partial else "unpaid")
            if behaviour in ("paid", "paid-now"):
                pays.append((rng.choice(PAY_METHODS[:3]), total, created + timedelta(minutes=rng.randint(2, 20))))
            elif behaviour == "paid-later":
                pays.append((rng.choice(("check", "ach", "card")), total,
                             created + timedelta(days=rng.randint(3, 34), hours=rng.randint(0, 6))))
            elif behaviour in ("partial", "partial-overdue"):
                first = max(100, round(total * rng.choice((0.3, 0.4, 0.5)) / 100) * 100)
                if behaviour == "partial-overdue":
                    first = max(100, round(total * 0.3 / 100) * 100)
                pays.append((rng.choice(PAY_METHODS), min(first, total - 100),
                             created + timedelta(minutes=rng.randint(5, 30))))
            pays = [p for p in pays if p[2] < self.now]
            reminder = None
            if len(pays) == 0 or sum(p[1] for p in pays) < total:
                due = _local(inv.due_date, time(9, 30), self.tz) + timedelta(days=3)
                if due < self.now:
                    reminder = due
            return pays, reminder

        for pj in self.jobs:
            if pj.status != JobStatus.COMPLETED or pj.start >= today_start or pj.project is not None:
                continue
            behaviour = pj.pin.billing if pj.pin else "auto"
            backlog = 0.25 if pj.start >= today_start - timedelta(days=3) else 0.03
            if behaviour == "none" or (behaviour == "auto" and rng.random() < backlog):
                continue  # not invoiced yet: paperwork lags the work, most of all in the last few days
            contact = self.contacts[pj.contact]
            done = next(at for st, at, _ in pj.events if st == JobStatus.COMPLETED)
            created = done + timedelta(minutes=rng.randint(3, 40))
            inv = new_invoice(contact, pj.title, created, pj.id, self._lines(pj.template, rng))
            pays, reminder = payments_for(inv, created, behaviour, self.company[pj.contact])
            invoices.append((created, inv, pays, reminder))

        # project billing: a deposit, then progress invoices
        for key in self.project_ids:
            ci = self.project_contact[key]
            contact = self.contacts[ci]
            jobs_of = [j for j in self.jobs if j.project == key and j.start < today_start]
            first = min((j.start for j in jobs_of), default=None)
            if key in ("garcia-bath", "northside-buildout"):
                first = self.at(-150 if key == "garcia-bath" else -100, 9)
            if first is None:
                continue
            label = contact.name.split()[-1] if not self.company[ci] else contact.name
            created = first - timedelta(days=2)
            deposit = new_invoice(contact, f"{label} project deposit", created, None,
                                  [("Project deposit (30%)", Decimal(1), 30 * self._budget(key) // 100, None)])
            invoices.append((created, deposit, [("check", deposit.total_cents, created + timedelta(days=1))], None))
            if key in ("garcia-bath", "northside-buildout"):
                created = self.at(-118 if key == "garcia-bath" else -76, 15)
                final = new_invoice(contact, f"{label} project final billing", created, None,
                                    [("Balance on completion (70%)", Decimal(1), 70 * self._budget(key) // 100, None)])
                invoices.append((created, final, [("check", final.total_cents, created + timedelta(days=12))], None))
            elif len(jobs_of) >= 2:
                created = sorted(j.end for j in jobs_of)[1] + timedelta(hours=2)
                progress = new_invoice(contact, f"{label} progress billing", created, None,
                                       [("Progress billing: rough-in complete", Decimal(1),
                                         25 * self._budget(key) // 100, None)])
                part = progress.total_cents // 2 // 100 * 100
                invoices.append((created, progress, [("ach", part, created + timedelta(days=6))], None))

        # estimates: accepted ones became the invoice of a finished job
        big = [pj for pj in self.jobs if pj.status == JobStatus.COMPLETED and pj.start < today_start
               and pj.pin is None and pj.template.key in ("wh_replace", "panel", "tankless", "ev")]
        n_accepted_past = min(len(big), max(1, round(1.5 * self.volume)))
        accepted_jobs = rng.sample(big, n_accepted_past) if big else []
        invoices = [row for row in invoices if not any(row[1].job_id == j.id for j in accepted_jobs)]
        for pj in accepted_jobs:
            contact = self.contacts[pj.contact]
            created = pj.created_at - timedelta(days=rng.randint(3, 9), hours=rng.randint(0, 4))
            est = Estimate(business_id=b, number=0, contact_id=contact.id or 0, title=pj.title,
                           tax_rate_bp=TAX_RATE_BP, valid_until=created.astimezone(self.tz).date() + timedelta(days=30),
                           created_at=created)
            lines = self._lines(pj.template, rng)
            for desc, qty, price, product_id in lines:
                est.add_line(desc, qty, price, product_id)
            est.mark_sent(created + timedelta(hours=1))
            est.decide(True, pj.created_at - timedelta(minutes=30))
            est.job_id = pj.id
            estimates.append(est)
            done = next(at for st, at, _ in pj.events if st == JobStatus.COMPLETED)
            inv = new_invoice(contact, pj.title, done + timedelta(minutes=15), pj.id, lines)
            pays, reminder = payments_for(inv, done, "auto", self.company[pj.contact])
            invoices.append((done + timedelta(minutes=15), inv, pays, reminder))
            converted.append((est, inv))

        # open, declined and expired estimates
        story_estimates = [
            ("chen", "Heat pump replacement, 3 ton", [("Heat pump system, 3 ton, 16 SEER2, installed", 1, 895_000),
                                                     ("Smart thermostat", 1, 24_900)], -5, "sent"),
            ("patel", "Tankless water heater upgrade", [("Tankless water heater, 199k BTU", 1, 219_500),
                                                        ("Water heater installation", 1, 65_000),
                                                        ("Gas line upsizing", 1, 48_000)], -1, "draft"),
            ("acme", "Riverside Commons: replace 6 main shutoff valves", [
                ("Three-quarter inch brass ball valve", 6, 3_800), ("Labor, per hour", 6, 12_500)], -8, "sent"),
            ("smith", "Bathroom exhaust fan replacement", [("Bath fan with humidity sensor, installed", 1, 32_500)],
             -34, "declined"),
        ]
        templates = [tp for tp in TEMPLATES if tp.key in ("wh_replace", "tankless", "panel", "ev", "ac_fix", "leak",
                                                          "heatpump", "lighting", "surge", "prv")]
        pool = [i for i, c in enumerate(self.contacts) if c.kind == ContactKind.CUSTOMER
                and i not in set(self.contact_key.values())]
        leads = [i for i, c in enumerate(self.contacts) if c.kind == ContactKind.LEAD
                 and c.lead_status in (LeadStatus.CONTACTED, LeadStatus.QUALIFIED)]
        plan: list[tuple[int, str, list[tuple[str, int, int]], int, str]] = [
            (self.contact_key[k], title, lines, off, state) for k, title, lines, off, state in story_estimates]
        states = ["draft"] * 3 + ["sent"] * 4 + ["declined"] * 2 + ["expired"]
        for n in range(round(len(states) * self.volume)):
            state = states[n % len(states)]
            ci = rng.choice(leads) if leads and rng.random() < 0.3 else rng.choice(pool)
            tmpl = rng.choice(templates)
            off = {"draft": -rng.randint(0, 4), "sent": -rng.randint(1, 20), "declined": -rng.randint(10, 50),
                   "expired": -rng.randint(35, 55)}[state]
            lines = [(d, int(q), p) for d, q, p, _ in self._lines(tmpl, rng)]
            plan.append((ci, tmpl.title, lines, off, state))
        for ci, title, lines, off, state in plan:
            contact = self.contacts[ci]
            created = self.before_now(self.at(off, rng.randint(8, 16), rng.choice((0, 15, 30, 45))), 60)
            est = Estimate(business_id=b, number=0, contact_id=contact.id or 0, title=title, tax_rate_bp=TAX_RATE_BP,
                           valid_until=created.astimezone(self.tz).date() + timedelta(days=30), created_at=created)
            for desc, qty, price in lines:
                est.add_line(desc, Decimal(qty), price)
            if state in ("sent", "declined", "expired"):
                est.mark_sent(created + timedelta(minutes=40))
            if state == "declined":
                est.decide(False, created + timedelta(days=rng.randint(2, 8)))
            estimates.append(est)

        # numbers in the order things were created
        estimates.sort(key=lambda e: e.created_at or self.now)
        for est in estimates:
            self.numbers["estimate"] += 1
            est.number = self.numbers["estimate"]
        invoices.sort(key=lambda row: row[0])
        objs: list[Invoice] = []
        for created, inv, pays, reminder in invoices:
            self.numbers["invoice"] += 1
            inv.number = self.numbers["invoice"]
            inv.mark_sent(created + timedelta(minutes=1))
            for method, amount, at in sorted((p for p in pays if p[2] < self.now), key=lambda p: p[2]):
                inv.record_payment(amount, at, method, None, self.office.user_id)
            if reminder is not None and inv.balance_cents > 0:
                inv.remind(reminder, "sms")
            objs.append(inv)
        async with self.store.uow(b) as uow:
            await _bulk_add(uow, estimates)
        for i in range(0, len(objs), 1000):
            async with self.store.uow(b) as uow:
                await _bulk_add(uow, objs[i:i + 1000])
        if converted:
            async with self.store.uow(b) as uow:
                for est, inv in converted:
                    await uow.session.execute(sa.update(t.estimates).where(t.estimates.c.id == est.id)
                                              .values(invoice_id=inv.id))
                    await uow.session.execute(sa.update(t.invoices).where(t.invoices.c.id == inv.id)
                                              .values(estimate_id=est.id))
        return {"estimates": len(estimates), "invoices": len(objs)}

    def _budget(self, key: str) -> int:
        return {"garcia-bath": 1_860_000, "northside-buildout": 2_450_000, "henderson": 3_850_000,
                "acme": 1_800_000}.get(key, 1_500_000)

    # ------------------------------------------------------------------------------- the rest of the books
    def plan_reorders(self) -> None:
        """Two low-stock parts already on order; the rest still need someone to notice."""
        for sku, days in (("PANEL-200", 2), ("REF-410A-25", 1)):
            self._event(self.before_now(self.at(-days, 15, 40), 30),
                        self._reorder(sku, self.products[sku].reorder_quantity, self.office))

    async def create_side_records(self) -> None:
        """Received purchase orders, customer feedback and notes, consent records, follow-up tasks."""
        rng = self.rng("side")
        b = self.business_id
        objs: list[Any] = []
        n_po = 0
        for off, sku in ((-44, "WH-G40"), (-30, "FLT-16251"), (-21, "PEX-050-100"), (-12, "CAP-45-5"),
                         (-6, "GFCI-20")):
            n_po += 1
            p = self.products[sku]
            objs.append(PurchaseOrder(business_id=b, number=n_po, product_id=p.id or 0, quantity=p.reorder_quantity,
                                      unit_cost_cents=p.unit_cost_cents, supplier=p.supplier,
                                      status=PurchaseOrderStatus.RECEIVED, created_at=self.at(off, 11),
                                      received_at=self.at(off + 2, 9, 30), user_id=self.office.user_id))
        self.numbers["purchase_order"] = n_po
        today_start = _local(self.today, time(0), self.tz)
        for pj in self.jobs:
            if pj.status != JobStatus.COMPLETED or pj.start >= today_start or rng.random() > 0.15:
                continue
            rating = rng.choices((5, 4, 3, 2), (70, 20, 6, 4))[0]
            comment = {5: ("Fast, friendly and cleaned up after.", "Explained everything. Will use again."),
                       4: ("Good work, arrived a bit late.",), 3: ("Fixed it, but pricier than expected.",),
                       2: ("Had to call back twice before someone came.",)}[rating]
            objs.append(Interaction(business_id=b, contact_id=self.contacts[pj.contact].id or 0,
                                    kind=InteractionKind.FEEDBACK, summary=f"Rated {rating}/5: {rng.choice(comment)}",
                                    created_at=pj.end + timedelta(days=1, hours=2), rating=rating, job_id=pj.id,
                                    channel="sms"))
        for c in self.contacts:
            if c.marketing_consent and c.consent_at:
                objs.append(Interaction(business_id=b, contact_id=c.id or 0, kind=InteractionKind.CONSENT,
                                        summary=f"Marketing consent given ({c.consent_source})",
                                        created_at=c.consent_at))
            if c.do_not_call and c.dnc_at:
                objs.append(Interaction(business_id=b, contact_id=c.id or 0, kind=InteractionKind.OPT_OUT,
                                        summary=f"Asked not to be called ({c.dnc_source})", created_at=c.dnc_at))
            if rng.random() < 0.08:
                objs.append(Interaction(business_id=b, contact_id=c.id or 0, kind=InteractionKind.NOTE,
                                        summary=rng.choice(("Prefers text messages over calls.",
                                                            "Has a service agreement renewal in the spring.",
                                                            "Referred by a neighbor.", "Asked about financing.")),
                                        created_at=(c.created_at or self.now) + timedelta(days=1),
                                        user_id=self.office.user_id))
        tomorrow9 = self.at(1, 9)
        for who, title, key, due in ((self.office, "Follow up with Linda Chen on the heat pump estimate", "chen",
                                      tomorrow9),
                                     (self.office, "Call Tom Baker about the overdue panel upgrade balance", "baker",
                                      self.at(0, 15) if self.at(0, 15) > self.now else tomorrow9),
                                     (self.owner, "Send Acme the Riverside Commons progress report", "acme",
                                      self.at(2, 10))):
            objs.append(Task(business_id=b, kind=TaskKind.FOLLOW_UP, title=title, due_at=due, user_id=who.user_id,
                             contact_id=self.contacts[self.contact_key[key]].id,
                             created_at=self.now - timedelta(hours=3)))
        for tech in self.techs[:2]:
            objs.append(Task(business_id=b, kind=TaskKind.REMINDER, title="Pick up the permit at the city office",
                             due_at=self.at(1, 7, 30), user_id=tech.user_id, created_at=self.now - timedelta(days=1)))
        for i in range(0, len(objs), 2000):
            async with self.store.uow(b) as uow:
                await _bulk_add(uow, objs[i:i + 2000])

    async def set_counters(self, kinds: tuple[str, ...]) -> None:
        async with self.store.uow(self.business_id) as uow:
            for kind in kinds:
                await uow.session.execute(sa.update(t.counters).where(
                    t.counters.c.business_id == self.business_id, t.counters.c.kind == kind)
                    .values(value=self.numbers[kind]))

    async def link_estimates_to_future_jobs(self) -> None:
        """A couple of accepted estimates that turned into upcoming jobs."""
        rng = self.rng("estimate-links")
        upcoming = [pj for pj in self.jobs if pj.status == JobStatus.SCHEDULED and pj.pin is None
                    and pj.template.key in ("wh_replace", "tankless", "panel", "ev", "heatpump")]
        if not upcoming:
            return
        chosen = rng.sample(upcoming, min(len(upcoming), max(1, round(self.volume))))
        async with self.store.uow(self.business_id) as uow:
            for pj in chosen:
                self.numbers["estimate"] += 1
                created = pj.created_at - timedelta(days=rng.randint(2, 6))
                est = Estimate(business_id=self.business_id, number=self.numbers["estimate"],
                               contact_id=self.contacts[pj.contact].id or 0, title=pj.title, tax_rate_bp=TAX_RATE_BP,
                               valid_until=created.astimezone(self.tz).date() + timedelta(days=30), created_at=created,
                               job_id=pj.id)
                for desc, qty, price, product_id in self._lines(pj.template, rng):
                    est.add_line(desc, qty, price, product_id)
                est.mark_sent(created + timedelta(hours=1))
                est.decide(True, pj.created_at - timedelta(minutes=20))
                uow.estimates.add(est)
        await self.set_counters(("estimate",))

    async def mark_done(self, seconds: float) -> None:
        async with self.store.uow(self.business_id) as uow:
            uow.activity.add(ActivityEntry(
                business_id=self.business_id, at=self.now, action=DEMO_MARKER, entity="business",
                entity_id=self.business_id, user_id=self.owner.user_id,
                summary=json.dumps({"seed": self.seed, "scale": self.scale, "now": self.now.isoformat(),
                                    "seconds": round(seconds, 2)})))


# ----------------------------------------------------------------------------------------------------------
# Public API
# ----------------------------------------------------------------------------------------------------------

async def generate_demo(store: Store, *, scale: int = 1, seed: int = 365, now: datetime | None = None) -> DemoInfo:
    """Create the demo business (a new one on every call) around `now` (default: the store's clock, i.e. real
    time for a default Store). Deterministic for a given seed and now."""
    import time as _time

    if scale < 1:
        raise ValueError("scale must be at least 1")
    started = _time.perf_counter()
    when = (now or store.clock())
    if when.tzinfo is None:
        raise ValueError("now must carry a time zone")
    when = when.astimezone(UTC)
    original_clock = store.clock
    clock = _Clock(when)
    store.clock = clock
    try:
        g = _Generator(store, scale, seed, when, clock)
        g.plan_team()
        await g.create_team()
        await g.create_catalog()
        g.plan_contacts()
        await g.create_contacts()
        extra_pins, extra_specs = g.extra_project_pins(g.rng("extra-projects"))
        await g.create_projects(extra_specs)
        g.plan_schedule(g.story_pins() + extra_pins)
        await g.create_past_jobs()
        await g.set_counters(("job",))
        await g.create_billing_history()
        await g.create_side_records()
        await g.set_counters(("invoice", "estimate", "purchase_order"))
        g.plan_job_events()
        g.plan_reorders()
        await g.run_events()
        await g.link_estimates_to_future_jobs()
        await _analyze(store)
        seconds = _time.perf_counter() - started
        await g.mark_done(seconds)
    finally:
        store.clock = original_clock
    info = await _info(store, g.business_id, when, seed=seed, scale=scale)
    info.seconds = seconds
    return info


async def _analyze(store: Store) -> None:
    """PostgreSQL plans by table statistics, which a fresh bulk load doesn't have until autovacuum comes round:
    gather them now, as after any bulk load. (SQLite plans by its indexes alone.)"""
    if store.engine.dialect.name != "postgresql":
        return
    names = ", ".join(sorted(table.name for table in t.metadata.sorted_tables))
    async with store.engine.connect() as conn:
        await conn.execute(sa.text(f"ANALYZE {names}"))
        await conn.commit()


async def find_demo(store: Store) -> DemoInfo | None:
    """The newest demo business whose generation finished (a half-made one is passed over), or None."""
    b, a = t.businesses.c, t.activity_log.c
    async with store.directory() as uow:
        candidates = list((await uow.session.execute(sa.select(b.id).where(
            b.name == DEMO_NAME, b.email == DEMO_EMAIL).order_by(b.id.desc()))).scalars())
        found = None
        for business_id in candidates:
            summary = (await uow.session.execute(sa.select(a.summary).where(
                a.business_id == business_id, a.action == DEMO_MARKER).limit(1))).scalar()
            if summary is not None:
                found = (business_id, json.loads(summary))
                break
    if found is None:
        return None
    business_id, meta = found
    return await _info(store, business_id, store.clock(), seed=meta.get("seed"), scale=meta.get("scale"),
                       generated_for=datetime.fromisoformat(meta["now"]) if meta.get("now") else None)


async def demo_counts(store: Store, business_id: int, now: datetime | None = None) -> dict[str, int]:
    """What the business holds, counted in the database ("today" and "overdue" as of `now`)."""
    async with store.directory() as uow:
        tz = ZoneInfo((await uow.directory.business(business_id) or _missing(business_id)).timezone)
        today = (now or store.clock()).astimezone(tz).date()
        day0 = datetime.combine(today, time(0), tz)
        day1 = day0 + timedelta(days=1)

        async def count(table: sa.Table, *where: Any) -> int:
            stmt = sa.select(sa.func.count()).select_from(table).where(table.c.business_id == business_id, *where)
            return int((await uow.session.execute(stmt)).scalar_one())

        c, j, i, p, e = t.contacts.c, t.jobs.c, t.invoices.c, t.products.c, t.estimates.c
        counts = {
            "members": await count(t.memberships),
            "technicians": await count(t.memberships, t.memberships.c.role == Role.TECHNICIAN.value),
            "contacts": await count(t.contacts),
            "customers": await count(t.contacts, c.kind == ContactKind.CUSTOMER.value),
            "leads": await count(t.contacts, c.kind == ContactKind.LEAD.value),
            "companies": await count(t.contacts, c.company.is_not(None)),
            "marketing_consent": await count(t.contacts, c.marketing_consent.is_(True)),
            "do_not_call": await count(t.contacts, c.do_not_call.is_(True)),
            "jobs": await count(t.jobs),
            "jobs_today": await count(t.jobs, j.scheduled_start >= day0, j.scheduled_start < day1),
            "jobs_upcoming": await count(t.jobs, j.scheduled_start >= day1),
        }
        for status in JobStatus:
            counts[f"jobs_{status.value}"] = await count(t.jobs, j.status == status.value)
        counts.update({
            "projects": await count(t.projects),
            "projects_active": await count(t.projects, t.projects.c.status == "active"),
            "estimates": await count(t.estimates),
            "estimates_pending": await count(t.estimates, e.status.in_(
                [EstimateStatus.DRAFT.value, EstimateStatus.SENT.value]),
                sa.or_(e.valid_until.is_(None), e.valid_until >= today)),
            "invoices": await count(t.invoices),
            "invoices_draft": await count(t.invoices, i.status == InvoiceStatus.DRAFT.value),
            "invoices_paid": await count(t.invoices, i.status == InvoiceStatus.PAID.value),
            "invoices_partially_paid": await count(t.invoices, i.status == InvoiceStatus.PARTIALLY_PAID.value),
            "invoices_overdue": await count(t.invoices, i.status.in_(
                [InvoiceStatus.SENT.value, InvoiceStatus.PARTIALLY_PAID.value]), i.due_date < today),
            "payments": await count(t.payments),
            "products": await count(t.products),
            "parts": await count(t.products, p.kind == ProductKind.PART.value),
            "services": await count(t.products, p.kind == ProductKind.SERVICE.value),
            "low_stock": await count(t.products, p.kind == ProductKind.PART.value, p.stock_on_hand <= p.reorder_point),
            "purchase_orders": await count(t.purchase_orders),
        })
    return counts


def _missing(business_id: int) -> Any:
    from .domain.errors import NotFound

    raise NotFound(f"Business {business_id} doesn't exist.")


async def _info(store: Store, business_id: int, now: datetime, *, seed: int | None, scale: int | None,
                generated_for: datetime | None = None) -> DemoInfo:
    m = t.memberships.c
    async with store.directory() as uow:
        rows = (await uow.session.execute(sa.select(m.user_id, m.role).where(
            m.business_id == business_id, m.active.is_(True)).order_by(m.id))).all()
    by_role: dict[Role, list[int]] = {}
    for row in rows:
        by_role.setdefault(Role(row.role), []).append(int(row.user_id))
    return DemoInfo(business_id=business_id, owner_user_id=by_role[Role.OWNER][0],
                    office_user_ids=by_role.get(Role.OFFICE, []),
                    technician_user_ids=by_role.get(Role.TECHNICIAN, []),
                    counts=await demo_counts(store, business_id, now), seed=seed, scale=scale,
                    generated_for=generated_for or now)
