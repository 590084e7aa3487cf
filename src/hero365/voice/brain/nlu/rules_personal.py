"""Rules for a business user talking to their assistant (ordered; first match wins).

Order encodes priority where cues overlap: "remind me to follow up" is a follow-up, not a reminder;
"the patels accepted the quote, invoice it" converts an estimate rather than billing afresh.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .dates import names_a_date
from .status import parse_status

Rule = tuple[str, re.Pattern[str], float, Callable[[str], bool] | None]


def _r(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


_JOB_REF = _r(r"\bjob\b|\bwork order\b|\bservice call\b|\bticket\b")
_PROJECT = _r(r"\bprojects?\b|\bremodel\b|\brenovation\b|\baddition\b|\bbuild ?out\b|\bmilestones?\b")
_PRODUCT_BLOCK = _r(
    r"\b(?:pizza|lunch|dinner|breakfast|food|coffee|uber|taxi|ride|flowers|tickets?|drinks?|beer"
    r"|groceries)\b|\border me\b"
)
_RECORDS = _r(
    r"\b(?:jobs?|appointments?|invoices?|estimates?|quotes?|projects?|customers?|hours|days|time"
    r"|calls?|money|work|anything|scheduled|booked)\b"
)


def _no_job(text: str) -> bool:
    return not _JOB_REF.search(text)


#: "it" / "that job" for the job the conversation is about: "add a note to it", "mark it done".
_THE_JOB = _r(r"\b(?:to|on|for|under) (?:it|this|that)\b")
_MARK_IT = _r(r"^(?:(?:go ahead and|please|just) )?(?:mark|set|put|move|make|change|update|switch) (?:it|that|this)\b")


def _status_with_target(text: str) -> bool:
    return parse_status(text) is not None and bool(
        _JOB_REF.search(text) or re.search(r"\b(?:place|house|home|site|jobs?)\b", text) or _MARK_IT.search(text)
    )


def _not_product_block(text: str) -> bool:
    return not _PRODUCT_BLOCK.search(text)


def _stock_question(text: str) -> bool:
    return not _RECORDS.search(text) and not _PRODUCT_BLOCK.search(text)


PERSONAL: list[Rule] = [
    (
        "switch_business",
        _r(
            r"^(?:switch|swap|flip|jump|go|change)(?: over| back)? to (?!job|the \w+ job|it\b|\d)"
            r"|\b(?:switch|change|swap)(?: my)?(?: the)? (?:business|company|account|organization)"
            r"|\blog (?:in|into|on to|onto|in to) |^(?:act|work|operate) (?:as|for) "
            r"|\bmy other (?:business|company)"
        ),
        0.9,
        None,
    ),
    (
        "schedule_follow_up",
        _r(
            r"\bfollow(?:ing)? up (?:call |visit |meeting |task |appointment )?(?:with|for)\b"
            r"|\b(?:schedule|set|add|create|book|put in|make) (?:a |an )?follow up\b"
            r"|\b(?:touch base|check in|circle back|reconnect) with\b|\bfollow up\b"
        ),
        0.85,
        lambda t: not re.search(r"\binvoices?\b|\bpayments?\b|\bbills?\b", t),
    ),
    (
        "set_reminder",
        _r(
            r"\bremind me\b|\b(?:set|add|create|make|put in|need) (?:a|an|me a|up a|myself a) "
            r"(?:personal )?reminder\b|^reminder\b|\bdo not let me forget\b|\bmake sure i remember\b"
        ),
        0.9,
        None,
    ),
    (
        "add_job_note",
        _r(
            r"\b(?:add|put|leave|attach|write|make|log|record|jot|stick|save)(?: down)? (?:a |an )?"
            r"(?:quick |short )?(?:job )?note\b|^notes? (?:on|for|to|that|about)\b|^add to\b"
            r"|\bnote (?:on|for|to) (?:the )?job\b|\bjob note\b"
            r"|^(?:add|put|write|jot)(?: down)? (?:on|to|onto|under|in)\b"
        ),
        0.85,
        lambda t: bool(_JOB_REF.search(t) or _THE_JOB.search(t)),
    ),
    (
        "add_contact_note",
        _r(
            r"\b(?:add|put|leave|attach|write|make|log|record|jot|stick|save)(?: down)? (?:a |an )?"
            r"(?:quick |short )?(?:contact )?note\b|^notes? (?:on|for|to|that|about)\b"
            r"|^(?:log|note|record|jot down|write down) that\b|\blog (?:a|the|an) "
            r"(?:call|interaction|conversation)\b"
        ),
        0.8,
        None,
    ),
    (
        "convert_estimate_to_invoice",
        _r(
            r"\b(?:convert|turn|change|make|switch)\b.*\b(?:estimate|quote|bid|proposal)"
            r"\b.*\binvoice\b|\b(?:estimate|quote|bid)s? (?:\w+ )?(?:into|to) (?:an )?invoice"
            r"|\b(?:accepted|approved|signed|okayed|went with|said yes to)\b.*\b(?:estimate"
            r"|quote|bid|proposal)\b.*\binvoice|\binvoice (?:the|that|this) (?:accepted"
            r"|approved|signed) (?:estimate|quote|bid)|\bconvert\b.*\b(?:estimate|quote)"
            r"|\bmake (?:estimate|quote) \w+ (?:\w+ )?(?:an )?invoice"
        ),
        0.9,
        None,
    ),
    (
        "send_estimate",
        _r(
            r"\b(?:send|email|text|shoot|forward|mail|resend|deliver)\b.*\b(?:estimate|quote|bid"
            r"|proposal)\b"
        ),
        0.85,
        lambda t: not re.search(r"\breminder\b", t),
    ),
    (
        "list_pending_estimates",
        _r(
            r"\b(?:estimates|quotes|bids|proposals)\b.*\b(?:pending|open|outstanding|waiting"
            r"|unanswered|unsigned|still out|not (?:yet )?(?:been )?(?:accepted|answered"
            r"|approved|signed)|out there|accepted yet|answered yet)|\b(?:pending|open"
            r"|outstanding|unanswered|unsigned|unaccepted) (?:estimates|quotes|bids|proposals)"
            r"\b|^(?:list|show)(?: me)?(?: my| all| the)* (?:estimates|quotes|bids)\b"
            r"|\b(?:any|which|what) (?:estimates|quotes)\b(?!.* for\b)"
        ),
        0.85,
        None,
    ),
    (
        "create_estimate",
        _r(
            r"\b(?:create|make|write|draw|put together|prepare|draft|new|start|build|give|need|do|work"
            r"|whip|send|generate|i want)\b.*\b(?:estimate|quote|bid|proposal)\b|^(?:estimate|quote)"
            r" for\b"
        ),
        0.85,
        None,
    ),
    (
        "send_invoice_reminder",
        _r(
            r"\b(?:send|email|text|shoot|mail|resend|fire off)(?: out)? (?:a |an |another )?"
            r"(?:\w+ )?(?:\w+ )?(?:reminder|past due notice|overdue notice|late notice|notice"
            r"|dunning)\b|\b(?:remind|nudge|ping|chase|bug|poke|hound)\b(?! me\b)"
            r"|\breminder (?:about|for|on|to)\b.*\b(?:invoice|bill|payment|balance)"
        ),
        0.85,
        lambda t: not re.search(r"\bset (?:a|an) reminder\b", t),
    ),
    (
        "list_overdue_invoices",
        _r(
            r"\b(?:overdue|past due|late|unpaid|outstanding|delinquent|open)\b.*\b(?:invoices"
            r"|bills|payments|accounts|balances)\b|\bwho (?:still )?(?:owes|has not paid|have not"
            r" paid|is behind|are behind|did not pay|still needs to pay)\b|\b(?:customers|clients"
            r"|accounts|people) (?:are |that are |who are )?(?:behind|overdue|late|past due|owe|"
            r"owing|have not paid)|\b(?:invoices|bills) (?:are |that are )?(?:overdue|past due|late"
            r"|unpaid)|\baccounts receivable\b|\bowes us money\b|\bwho owes\b"
            r"|\b(?:invoices|bills)\b (?:\w+ ){0,3}(?:not|unpaid|have not|has not) (?:been |yet )?paid\b"
            r"|\b(?:late|behind) (?:on|with) (?:paying|payments?|bills?|invoices?)\b"
        ),
        0.9,
        None,
    ),
    (
        "record_payment",
        _r(r"\b(?:mark|set|record|log|flag)\b.*\b(?:as |to )?paid\b|\bpaid in full\b"),
        0.85,
        lambda t: not t.startswith(("has", "did", "is", "was", "have")),
    ),
    (
        "get_invoice_status",
        _r(
            r"^(?:has|have|did|is|was|were|are|do|does)\b.*\b(?:pay|paid|payment|invoice|bill)\b"
            r"|\b(?:been paid|paid yet|pay yet|paid up)\b|\b(?:status|balance)\b.*\b(?:invoice|bill)"
            r"\b|\b(?:invoice|bill)\b.*\b(?:status|balance|due|paid|outstanding)\b"
        ),
        0.85,
        lambda t: not re.search(r"^(?:\w+ ){0,3}(?:paid|pay)\b(?! yet)", t) or t.startswith(("has", "did", "is")),
    ),
    (
        "record_payment",
        _r(
            r"\b(?:record|log|enter|apply|post|add|mark|got|received|receive|took|take|collected"
            r"|deposit)\b.*\b(?:payment|check|cash|deposit|money|paid)\b|\bpaid\b|\bpayment (?:from"
            r"|of)\b"
        ),
        0.85,
        None,
    ),
    (
        "create_invoice",
        _r(
            r"\b(?:create|make|generate|send|write|draw up|prepare|do|raise|issue|start|new|need"
            r"|put together|draft)\b.*\b(?:invoice|bill)\b|^(?:invoice|bill|charge)\b|\binvoice (?:the"
            r"|job|them|him|her|it|for)\b"
        ),
        0.85,
        None,
    ),
    ("get_invoice_status", _r(r"\binvoices?\b|\bbill\b"), 0.6, None),
    ("create_project_milestone", _r(r"\bmilestones?\b"), 0.9, None),
    (
        "update_project_progress",
        _r(
            r"\b(?:percent|half ?way|half done|three quarters|quarter (?:done|of the way)"
            r"|progress (?:to|at))\b"
        ),
        0.85,
        lambda t: bool(_PROJECT.search(t)),
    ),
    ("update_project_progress", _r(r"\b(?:percent|half ?way|three quarters)\b"), 0.6, None),
    ("get_project_status", _r(r"\b(?:projects?|remodel|renovation|addition|build ?out)\b"), 0.8, None),
    (
        "get_contact_info",
        _r(
            r"\bhow (?:do|can|would|should) (?:i|we) (?:reach|contact|get in touch|get a ?hold|call)"
            r"\b|\bget in touch\b|\bwhere (?:does|do) .* live\b"
        ),
        0.85,
        None,
    ),
    ("update_job_status", _r(r".*"), 0.8, _status_with_target),
    (
        "get_directions",
        _r(
            r"\bdirections?\b|\bnavigat\w*\b|\broute\b|\btake me to\b|\bdrive me\b|\bget me to\b"
            r"|\bhow (?:do|can|would) i get (?:to|there)\b|\bhow (?:far|long)\b.*\b(?:get|drive|from here"
            r"|away|there|to get)\b|\bhow far\b|\beta\b|\bway to\b|\bon my way to\b|\bhead(?:ing)? "
            r"(?:to|over)\b|\bget to\b|\bdrive to\b|\bmap\b"
        ),
        0.85,
        None,
    ),
    (
        "get_weather",
        _r(
            r"\b(?:weather|forecast|rain\w*|snow\w*|temperature|storms?|stormy|freezing|windy|sunny|humid"
            r"|degrees|umbrella|hail|sleet|thunder\w*)\b|\b(?:be|is it|going to be|get|it) (?:cold|hot|warm"
            r"|chilly|nice out)\b"
        ),
        0.85,
        None,
    ),
    (
        "create_contact",
        _r(
            r"\b(?:add|create|new|make|enter|save|set up|register)\b(?: a| an)?(?: new)? (?:contact|customer"
            r"|client|lead)\b"
        ),
        0.85,
        _no_job,
    ),
    (
        "create_job",
        _r(
            r"\b(?:create|add|make|schedule|book|set up|setup|open|put in|enter|log|start|new|another)"
            r"\b(?: me)?(?: a| an| another)?(?: new)? (?:job|service call|work order|appointment|visit)\b"
            r"|^(?:new|another) (?:job|service call|work order)\b|^(?:book|schedule) (?:a|an|the) "
            r"(?!follow)\w+(?: \w+)*? for\b"
            r"|^book of (?!follow)\w+(?: \w+)*? for\b"  # "book a" as recognisers often hear it
        ),
        0.85,
        None,
    ),
    (
        "reschedule_job",
        _r(r"\b(?:reschedule|move|push|bump|shift|postpone|delay|rebook|slide|change|switch)\b"),
        0.8,
        lambda t: bool(_JOB_REF.search(t) or re.search(r"\b(?:appointment|visit)\b", t)),
    ),
    ("get_schedule", _r(r"\bmy (?:first|next|last|second|third) (?:job|appointment|stop|call)\b"), 0.8, None),
    (  # "mark job 212 ..." is a status change whose status is still to come, not "tell me about job 212"
        "update_job_status",
        _r(r"^(?:(?:go ahead and|please|just|can you|could you|let's|i need to) )?(?:mark|(?:update|change|set) "
           r"(?:the )?status (?:of|on|for))\b"),
        0.75,
        lambda t: bool(_JOB_REF.search(t)),
    ),
    ("get_job_details", _r(r"\bjob\b(?!s)"), 0.75, None),
    (
        "get_contact_info",
        _r(
            r"\b(?:phone|number|address|email|contact|cell|info|information|details)\b|\blook ?up\b"
            r"|\bpull up\b|\bwho is\b|\bfind\b"
        ),
        0.7,
        None,
    ),
    (
        "reorder_product",
        _r(
            r"\b(?:re ?order|order|restock|buy|purchase|stock up|get more|need more|place an order"
            r"|put in an order)\b"
        ),
        0.8,
        _not_product_block,
    ),
    (
        "check_inventory",
        _r(
            r"\b(?:in stock|stock|inventory|on hand|how many|how much|do we (?:still )?have|have we|we have any"
            r"|(?:if|whether) we (?:still )?have"
            r"|are we (?:out|low|running)|is there any|are there any|left in)\b"
        ),
        0.8,
        _stock_question,
    ),
    (
        "list_upcoming_jobs",
        _r(
            r"\b(?:upcoming|coming up|(?:next|coming|following) (?:\w+ )?(?:days|weeks)|rest of"
            r" the week|this week|next week|week ahead|this month)\b"
        ),
        0.85,
        None,
    ),
    (
        "get_schedule",
        _r(
            r"\b(?:schedule|calendar|agenda|appointments?|jobs|booked|on deck|lined up|planned|going on"
            r"|what do i have|what have i got|what is on|my day|next (?:job|appointment|stop)"
            r"|where am i|what am i doing|busy|do i have anything|anything (?:on|scheduled|booked)"
            r"|have i got|happening|what is up)\b|^what is next\b"
        ),
        0.8,
        None,
    ),
    # a question naming only a day is a schedule question ("and thursday?")
    ("get_schedule", _r(r"^(?:what|any|anything|and|how about|what about|do i|is there)\b"), 0.55, names_a_date),
]
