"""Word classes the rules share, and the optional Lexicon of real names.

Without capital letters a name's end is found by what is *not* a name: function words, dates,
keywords (STOP) and trade vocabulary (DOMAIN: "linda chen ac inspection" splits before "ac").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .numbers import NUMBER_WORDS

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)

_w = str.split
FUNCTION = (
    frozenset(
        _w("""
the a an this that these those my our your his her their its some any all every each no another other
i me we us you he him she it they them someone somebody anyone anybody everyone anything something nothing
for to on at in of with from about by into onto over under after before until till through and or but so
because if then than as up down out off back around near instead also too just now still yet again there
here where when what which who whom why how saying says called named titled via per is are was were be
been being am do does did have has had will would can could should may might must shall not get got go
going want wants need needs like likes prefer prefers said say ask asked asks call calls paid pay pays
owes owe accepted approved signed sent send mentioned requested told let make made set put add create log
note schedule book move push bump reschedule mark update cancel start starting finished finish done
complete completed remind reminder follow give show tell read list check look pull open email text convert
turn record enter please thanks thank okay yes no lives live uses works moved changed wrapped
came come coming left leaving says loves hates thinks knows needs expects agreed decided confirmed
today tomorrow tonight yesterday morning afternoon evening night noon midnight next last week weeks
month months day days weekend oclock hour hours minute minutes early late later soon asap
job jobs appointment appointments invoice invoices estimate estimates quote quotes bid bids project projects
customer customers client clients contact contacts account accounts payment payments cash balance phone
number address email info information details detail status milestone notes stock inventory order
directions weather dollars dollar bucks percent business company place house home office site
new old first second third same big small main current latest recent overdue unpaid pending outstanding
whole entire only full quick one named own reorder nudge ping chase navigate forecast switch find generate
prepare draft shoot forward mail take drive bring grab buy purchase restock remove delete jot attach leave
write draw reach ever already finally actually really even never always usually recently card credit debit
venmo zelle paypal wire online bill invoiced billed charged owed pulled
""")
    )
    | frozenset(WEEKDAYS)
    | frozenset(MONTHS)
    | NUMBER_WORDS
)

DOMAIN = frozenset(
    _w("""
ac hvac furnace boiler heater heaters water heat pump air conditioner conditioning duct ducts vent vents
thermostat thermostats filter filters toilet toilets sink sinks faucet faucets drain drains pipe pipes sewer
septic leak leaks leaking leaky clog clogged garbage disposal dishwasher shower tub bathtub bathroom kitchen
basement attic roof gutter gutters panel breaker outlet outlets wiring wire light lights lighting fan fans
ceiling generator electrical plumbing gas line valve valves fitting fittings tank tankless sump inspection
install installation installed repair repairs replacement replace fix service maintenance tune tuneup
cleaning clean upgrade remodel diagnostic flush rough drywall framing tile cabinet cabinets insulation
window windows door doors deck fence garage copper pex pvc trap traps coupling couplings elbow elbows unit
units system compressor coil condenser refrigerant freon smoke detector detectors alarm charger meter
hose spigot softener sprinkler irrigation backflow rewire rewiring troubleshoot leak estimate annual
""")
)
STOP = FUNCTION
# nouns a spoken name is the modifier of: "the garcia job", "maria garcia's phone"
HEADS = frozenset(
    _w("""
job jobs appointment appointments visit invoice invoices bill bills estimate estimates quote quotes bid
proposal project remodel renovation addition place house home residence property account site install
installation repair phone number address email contact balance payment order call service work file info
information details yard cell
""")
)
TITLES = frozenset({"mr", "mrs", "ms", "miss", "dr", "doctor", "mister", "missus", "sir", "madam"})
PRONOUNS = frozenset(_w("me you him her them it us this that someone somebody customer client they he she"))
_VERBISH = re.compile(r"^[a-z]{3,}(?:ed|ing)$")
_NAME_ED = frozenset(
    {
        "ahmed",
        "mohammed",
        "mohamed",
        "reed",
        "ted",
        "fred",
        "ned",
        "jed",
        "red",
        "mahmed",
        "king",
        "ming",
        "ling",
        "ewing",
        "irving",
        "sterling",
        "browning",
        "manning",
        "fleming",
        "channing",
        "golding",
        "harding",
        "redding",
        "spalding",
    }
)


def words(text: str) -> frozenset[str]:
    """A word set written as one string (keeps long vocabularies readable)."""
    return frozenset(text.split())


def is_name_token(tok: str, soft: bool = True) -> bool:
    """Could tok be part of a person's or company's name? soft also rejects trade words."""
    if tok in STOP or tok[:1].isdigit() or (soft and tok in DOMAIN):
        return False
    return not (_VERBISH.match(tok) and tok not in _NAME_ED)


def singular(phrase: str) -> str:
    """'water heaters' -> 'water heater' (the last word only; 'glasses' and 'bus' stay)."""
    words = phrase.split()
    if not words:
        return phrase
    w = words[-1]
    if len(w) > 4 and w.endswith("ies"):
        w = w[:-3] + "y"
    elif len(w) > 4 and re.search(r"(?:ches|shes|sses|xes|zes)$", w):
        w = w[:-2]
    elif len(w) > 3 and w.endswith("s") and not re.search(r"(?:ss|us|is)$", w):
        w = w[:-1]
    return " ".join([*words[:-1], w])


def _phrases(values: frozenset[str]) -> tuple[str, ...]:
    return tuple(sorted(values, key=len, reverse=True))


@dataclass(frozen=True)
class Lexicon:
    """Known names from the business's data (all lower case); lets spans match real records.

    The parser works without one; with one, known customers/products/services/businesses found in
    the text win over the generic span heuristics (multi-word names, names that look like words).
    """

    customers: frozenset[str] = field(default_factory=frozenset)
    products: frozenset[str] = field(default_factory=frozenset)
    technicians: frozenset[str] = field(default_factory=frozenset)
    services: frozenset[str] = field(default_factory=frozenset)
    businesses: frozenset[str] = field(default_factory=frozenset)

    def find(self, kind: str, text: str) -> str | None:
        """Longest known name of this kind in text (customers also by last name: 'garcia').

        Looks up the text's word n-grams in an index built once per lexicon, so the cost follows the
        length of the utterance, not the number of names (thousands of customers cost the same as ten).
        """
        exact, last_names, variants, longest = self._index(kind)
        if not longest:
            return None
        tokens = _TOKEN.findall(text)
        grams = [tuple(tokens[i:j]) for i in range(len(tokens))
                 for j in range(i + 1, min(len(tokens), i + longest) + 1)]
        for table in (exact, last_names, variants):
            hits = [table[g] for g in grams if g in table]
            if hits:
                return max(hits, key=len)
        return None

    def _index(self, kind: str) -> tuple[dict[tuple[str, ...], str], dict[tuple[str, ...], str],
                                          dict[tuple[str, ...], str], int]:
        cache: dict[str, tuple] = self.__dict__.setdefault("_indexes", {})
        if kind not in cache:
            exact: dict[tuple[str, ...], str] = {}
            last_names: dict[tuple[str, ...], str] = {}
            variants: dict[tuple[str, ...], str] = {}
            for phrase in sorted(getattr(self, kind), key=len):  # longer phrases win a shared key
                toks = tuple(_TOKEN.findall(phrase))
                if not toks:
                    continue
                for form in (toks, (*toks[:-1], toks[-1] + "s")):
                    exact[form] = phrase
                if kind == "customers" and len(toks) > 1:
                    last = toks[-1]
                    last_names.setdefault((last,), last)
                    last_names.setdefault((last + "s",), last)
                one = tuple(_TOKEN.findall(singular(phrase)))
                if one:
                    for suffix in ("", "s", "es"):
                        variants[(*one[:-1], one[-1] + suffix)] = phrase
            longest = max((len(k) for k in (*exact, *variants)), default=0)
            cache[kind] = (exact, last_names, variants, longest)
        return cache[kind]


_TOKEN = re.compile(r"[a-z0-9]+")
