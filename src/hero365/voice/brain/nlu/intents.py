"""Intent rules: ordered, first match wins; each rule's confidence is its measured reliability.

Order encodes priority where cues overlap: "remind me to follow up" is a follow-up, not a reminder;
"the patels accepted the quote, invoice it" converts an estimate rather than billing afresh.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from .dates import find_dates
from .normalize import Utterance
from .replies import classify_reply, is_help, is_repeat, transfer_target
from .status import parse_status
from .times import find_times

Rule = tuple[str, re.Pattern[str], float, Callable[[str], bool] | None]


def _r(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


_JOB_REF = _r(r"\bjob\b|\bwork order\b|\bservice call\b|\bticket\b")
_PROJECT = _r(r"\bprojects?\b|\bremodel\b|\brenovation\b|\baddition\b|\bbuild ?out\b|\bmilestones?\b")
_PRODUCT_BLOCK = _r(r"\b(?:pizza|lunch|dinner|breakfast|food|coffee|uber|taxi|ride|flowers|tickets?|drinks?|beer"
                    r"|groceries)\b|\border me\b")
_RECORDS = _r(r"\b(?:jobs?|appointments?|invoices?|estimates?|quotes?|projects?|customers?|hours|days|time"
              r"|calls?|money|work|anything|scheduled|booked)\b")


def _no_job(text: str) -> bool:
    return not _JOB_REF.search(text)


def _status_with_target(text: str) -> bool:
    return parse_status(text) is not None and bool(
        _JOB_REF.search(text) or re.search(r"\b(?:place|house|home|site|jobs?)\b", text))


def _not_product_block(text: str) -> bool:
    return not _PRODUCT_BLOCK.search(text)


def _stock_question(text: str) -> bool:
    return not _RECORDS.search(text) and not _PRODUCT_BLOCK.search(text)


PERSONAL: list[Rule] = [
    ("switch_business", _r(r"^(?:switch|swap|flip|jump|go|change)(?: over| back)? to (?!job|the \w+ job|it\b|\d)"
                           r"|\b(?:switch|change|swap)(?: my)?(?: the)? (?:business|company|account|organization)"
                           r"|\blog (?:in|into|on to|onto|in to) |^(?:act|work|operate) (?:as|for) "
                           r"|\bmy other (?:business|company)"), 0.9, None),
    ("schedule_follow_up", _r(r"\bfollow(?:ing)? up (?:call |visit |meeting |task |appointment )?(?:with|for)\b"
                              r"|\b(?:schedule|set|add|create|book|put in|make) (?:a |an )?follow up\b"
                              r"|\b(?:touch base|check in|circle back|reconnect) with\b|\bfollow up\b"), 0.85,
     lambda t: not re.search(r"\binvoices?\b|\bpayments?\b|\bbills?\b", t)),
    ("set_reminder", _r(r"\bremind me\b|\b(?:set|add|create|make|put in|need) (?:a|an|me a|up a|myself a) "
                        r"(?:personal )?reminder\b|^reminder\b|\bdo not let me forget\b|\bmake sure i remember\b"),
     0.9, None),
    ("add_job_note", _r(r"\b(?:add|put|leave|attach|write|make|log|record|jot|stick|save)(?: down)? (?:a |an )?"
                        r"(?:quick |short )?(?:job )?note\b|^notes? (?:on|for|to|that|about)\b|^add to\b"
                        r"|\bnote (?:on|for|to) (?:the )?job\b|\bjob note\b"
                        r"|^(?:add|put|write|jot)(?: down)? (?:on|to|onto|under|in)\b"), 0.85,
     lambda t: bool(_JOB_REF.search(t))),
    ("add_contact_note", _r(r"\b(?:add|put|leave|attach|write|make|log|record|jot|stick|save)(?: down)? (?:a |an )?"
                            r"(?:quick |short )?(?:contact )?note\b|^notes? (?:on|for|to|that|about)\b"
                            r"|^(?:log|note|record|jot down|write down) that\b|\blog (?:a|the|an) "
                            r"(?:call|interaction|conversation)\b"), 0.8, None),
    ("convert_estimate_to_invoice", _r(r"\b(?:convert|turn|change|make|switch)\b.*\b(?:estimate|quote|bid|proposal)"
                                       r"\b.*\binvoice\b|\b(?:estimate|quote|bid)s? (?:\w+ )?(?:into|to) (?:an )?invoice"
                                       r"|\b(?:accepted|approved|signed|okayed|went with|said yes to)\b.*\b(?:estimate"
                                       r"|quote|bid|proposal)\b.*\binvoice|\binvoice (?:the|that|this) (?:accepted"
                                       r"|approved|signed) (?:estimate|quote|bid)|\bconvert\b.*\b(?:estimate|quote)"
                                       r"|\bmake (?:estimate|quote) \w+ (?:\w+ )?(?:an )?invoice"), 0.9, None),
    ("send_estimate", _r(r"\b(?:send|email|text|shoot|forward|mail|resend|deliver)\b.*\b(?:estimate|quote|bid"
                         r"|proposal)\b"), 0.85, lambda t: not re.search(r"\breminder\b", t)),
    ("list_pending_estimates", _r(r"\b(?:estimates|quotes|bids|proposals)\b.*\b(?:pending|open|outstanding|waiting"
                                  r"|unanswered|unsigned|still out|not (?:yet )?(?:been )?(?:accepted|answered"
                                  r"|approved|signed)|out there|accepted yet|answered yet)|\b(?:pending|open"
                                  r"|outstanding|unanswered|unsigned|unaccepted) (?:estimates|quotes|bids|proposals)"
                                  r"\b|^(?:list|show)(?: me)?(?: my| all| the)* (?:estimates|quotes|bids)\b"
                                  r"|\b(?:any|which|what) (?:estimates|quotes)\b(?!.* for\b)"), 0.85, None),
    ("create_estimate", _r(r"\b(?:create|make|write|draw|put together|prepare|draft|new|start|build|give|need|do|work"
                           r"|whip|send|generate|i want)\b.*\b(?:estimate|quote|bid|proposal)\b|^(?:estimate|quote)"
                           r" for\b"), 0.85, None),
    ("send_invoice_reminder", _r(r"\b(?:send|email|text|shoot|mail|resend|fire off)(?: out)? (?:a |an |another )?"
                                 r"(?:\w+ )?(?:\w+ )?(?:reminder|past due notice|overdue notice|late notice|notice"
                                 r"|dunning)\b|\b(?:remind|nudge|ping|chase|bug|poke|hound)\b(?! me\b)"
                                 r"|\breminder (?:about|for|on|to)\b.*\b(?:invoice|bill|payment|balance)"), 0.85,
     lambda t: not re.search(r"\bset (?:a|an) reminder\b", t)),
    ("list_overdue_invoices", _r(r"\b(?:overdue|past due|late|unpaid|outstanding|delinquent|open)\b.*\b(?:invoices"
                                 r"|bills|payments|accounts|balances)\b|\bwho (?:still )?(?:owes|has not paid|have not"
                                 r" paid|is behind|are behind|did not pay|still needs to pay)\b|\b(?:customers|clients"
                                 r"|accounts|people) (?:are |that are |who are )?(?:behind|overdue|late|past due|owe|"
                                 r"owing|have not paid)|\b(?:invoices|bills) (?:are |that are )?(?:overdue|past due|late"
                                 r"|unpaid)|\baccounts receivable\b|\bowes us money\b|\bwho owes\b|\b(?:late|behind) (?:on|with) (?:paying|payments?"
                                 r"|bills?|invoices?)\b"), 0.9, None),
    ("record_payment", _r(r"\b(?:mark|set|record|log|flag)\b.*\b(?:as |to )?paid\b|\bpaid in full\b"), 0.85,
     lambda t: not t.startswith(("has", "did", "is", "was", "have"))),
    ("get_invoice_status", _r(r"^(?:has|have|did|is|was|were|are|do|does)\b.*\b(?:pay|paid|payment|invoice|bill)\b"
                              r"|\b(?:been paid|paid yet|pay yet|paid up)\b|\b(?:status|balance)\b.*\b(?:invoice|bill)"
                              r"\b|\b(?:invoice|bill)\b.*\b(?:status|balance|due|paid|outstanding)\b"), 0.85,
     lambda t: not re.search(r"^(?:\w+ ){0,3}(?:paid|pay)\b(?! yet)", t) or t.startswith(("has", "did", "is"))),
    ("record_payment", _r(r"\b(?:record|log|enter|apply|post|add|mark|got|received|receive|took|take|collected"
                          r"|deposit)\b.*\b(?:payment|check|cash|deposit|money|paid)\b|\bpaid\b|\bpayment (?:from"
                          r"|of)\b"), 0.85, None),
    ("create_invoice", _r(r"\b(?:create|make|generate|send|write|draw up|prepare|do|raise|issue|start|new|need"
                          r"|put together|draft)\b.*\b(?:invoice|bill)\b|^(?:invoice|bill|charge)\b|\binvoice (?:the"
                          r"|job|them|him|her|it|for)\b"), 0.85, None),
    ("get_invoice_status", _r(r"\binvoices?\b|\bbill\b"), 0.6, None),
    ("create_project_milestone", _r(r"\bmilestones?\b"), 0.9, None),
    ("update_project_progress", _r(r"\b(?:percent|half ?way|half done|three quarters|quarter (?:done|of the way)"
                                   r"|progress (?:to|at))\b"), 0.85, lambda t: bool(_PROJECT.search(t))),
    ("update_project_progress", _r(r"\b(?:percent|half ?way|three quarters)\b"), 0.6, None),
    ("get_project_status", _r(r"\b(?:projects?|remodel|renovation|addition|build ?out)\b"), 0.8, None),
    ("get_contact_info", _r(r"\bhow (?:do|can|would|should) (?:i|we) (?:reach|contact|get in touch|get a ?hold|call)"
                            r"\b|\bget in touch\b|\bwhere (?:does|do) .* live\b"), 0.85, None),
    ("update_job_status", _r(r".*"), 0.8, _status_with_target),
    ("get_directions", _r(r"\bdirections?\b|\bnavigat\w*\b|\broute\b|\btake me to\b|\bdrive me\b|\bget me to\b"
                          r"|\bhow (?:do|can|would) i get (?:to|there)\b|\bhow (?:far|long)\b.*\b(?:get|drive|from here"
                          r"|away|there|to get)\b|\bhow far\b|\beta\b|\bway to\b|\bon my way to\b|\bhead(?:ing)? "
                          r"(?:to|over)\b|\bget to\b|\bdrive to\b|\bmap\b"), 0.85, None),
    ("get_weather", _r(r"\b(?:weather|forecast|rain\w*|snow\w*|temperature|storms?|stormy|freezing|windy|sunny|humid"
                       r"|degrees|umbrella|hail|sleet|thunder\w*)\b|\b(?:be|is it|going to be|get|it) (?:cold|hot|warm"
                       r"|chilly|nice out)\b"), 0.85, None),
    ("create_contact", _r(r"\b(?:add|create|new|make|enter|save|set up|register)\b(?: a| an)?(?: new)? (?:contact|customer"
                          r"|client|lead)\b"), 0.85, _no_job),
    ("create_job", _r(r"\b(?:create|add|make|schedule|book|set up|setup|open|put in|enter|log|start|new|another)"
                      r"\b(?: me)?(?: a| an| another)?(?: new)? (?:job|service call|work order|appointment|visit)\b"
                      r"|^(?:new|another) (?:job|service call|work order)\b|^(?:book|schedule) (?:a|an|the) "
                      r"(?!follow)\w+(?: \w+)*? for\b"), 0.85, None),
    ("reschedule_job", _r(r"\b(?:reschedule|move|push|bump|shift|postpone|delay|rebook|slide|change|switch)\b"),
     0.8, lambda t: bool(_JOB_REF.search(t) or re.search(r"\b(?:appointment|visit)\b", t))),
    ("get_schedule", _r(r"\bmy (?:first|next|last|second|third) (?:job|appointment|stop|call)\b"), 0.8, None),
    ("get_job_details", _r(r"\bjob\b(?!s)"), 0.75, None),
    ("get_contact_info", _r(r"\b(?:phone|number|address|email|contact|cell|info|information|details)\b|\blook ?up\b"
                            r"|\bpull up\b|\bwho is\b|\bfind\b"), 0.7, None),
    ("reorder_product", _r(r"\b(?:re ?order|order|restock|buy|purchase|stock up|get more|need more|place an order"
                           r"|put in an order)\b"), 0.8, _not_product_block),
    ("check_inventory", _r(r"\b(?:in stock|stock|inventory|on hand|how many|how much|do we (?:still )?have|have we"
                           r"|are we (?:out|low|running)|is there any|are there any|left in)\b"), 0.8, _stock_question),
    ("list_upcoming_jobs", _r(r"\b(?:upcoming|coming up|(?:next|coming|following) (?:\w+ )?(?:days|weeks)|rest of"
                              r" the week|this week|next week|week ahead|this month)\b"), 0.85, None),
    ("get_schedule", _r(r"\b(?:schedule|calendar|agenda|appointments?|jobs|booked|on deck|lined up|planned|going on"
                        r"|what do i have|what have i got|what is on|my day|next (?:job|appointment|stop)"
                        r"|where am i|what am i doing|busy|do i have anything|anything (?:on|scheduled|booked)"
                        r"|have i got)\b"), 0.8, None),
]

CUSTOMER: list[Rule] = [
    ("confirm_appointment", _r(r"\bworks for (?:me|us)\b|\b(?:time|day|date|that|it|slot|appointment) (?:still )?"
                               r"(?:works|is (?:fine|good|great|perfect|ok|okay)|sounds (?:good|great|fine|perfect))"
                               r"|\bsee you (?:then|there|tomorrow|on|soon|next|monday|tuesday|wednesday|thursday"
                               r"|friday|saturday|sunday|in the)\b|\b(?:we|i) will be (?:there|home|ready|around"
                               r"|available|here)\b|\bbe home\b|\bkeep (?:the|my|our|it|that)\b|\bstill on\b"
                               r"|\bconfirm(?:ed|ing)? (?:the |my |our )?(?:appointment|visit|time)\b"
                               r"|\blooking forward\b|\bwe are (?:still )?good for\b"), 0.85,
     lambda t: not re.search(r"\b(?:not|never|can not|cancel)\b|\bno\b(?! problem)", t)),
    ("not_interested", _r(r"^no (?:thanks|thank you)$"), 0.8, None),
    ("cancel_appointment", _r(r"\bcancel (?:it|my|our|the|this|that appointment)\b"), 0.85, None),
]
CUSTOMER_AFTER_REPLY: list[Rule] = [
    ("opt_out", _r(r"\b(?:stop|quit|cease) (?:calling|contacting|texting|bothering)\b|\b(?:do not|never) (?:call|contact"
                   r"|text)(?: me| us| this number| here)? ?(?:again|anymore|ever)?\b|\btake (?:me|us|my number) off\b"
                   r"|\bremove (?:me|us|my number)\b|\bunsubscribe\b|\bno more calls\b|\blose (?:my|this) number\b"
                   r"|\bdelete my number\b|\bdo not call list\b|\b(?:off|from) (?:your|the) (?:call |calling "
                   r"|contact |mailing )?list\b"), 0.9, None),
    ("wrong_number", _r(r"\bwrong (?:number|person|house|guy|lady|people|address|phone)\b|\bno (?:one|body) (?:here )?"
                        r"(?:by|named|with|called)\b|\bnobody (?:here )?(?:by|named|with|called)\b|\bdoes not live here"
                        r"\b|\bnever heard of\b|\bno one (?:lives )?here\b|\bthis is not (?:\w+ )?(?:house|number|"
                        r"residence)\b|\bthere is no (?:\w+ ){1,2}here\b|\bno \w+ lives here\b"), 0.9, None),
    ("cancel_appointment", _r(r"\bcancel\b|\bdo not (?:need|want) (?:you|anyone|someone|somebody|the \w+|a \w+)"
                              r"(?: guys)? to come\b|\b(?:do not|no need to) come\b|\bcall(?:ing)? (?:it )?off\b"
                              r"|\b(?:no longer|not) need (?:the|this|that|an|my|our) (?:appointment|visit|service)\b"
                              r"|\bwe fixed it\b|\bfixed it (?:ourselves|myself)\b"), 0.85, None),
    ("reschedule_appointment", _r(r"\b(?:reschedule|rebook|postpone|push|move|bump|shift|change|switch)\b|\binstead\b"
                                  r"|\b(?:different|another|other|later|earlier|new) (?:day|time|date|slot|week)\b"
                                  r"|\bsomething came up\b|\bcan not make it\b|\bwill not be (?:home|there|able)\b"),
     0.85, None),
    ("call_back_later", _r(r"\bcall (?:me |us )?(?:back|later|again|another time|tomorrow)\b|\btry (?:me |us )?(?:again|back"
                           r"|later)\b|\b(?:not|is not) a (?:good|great) time\b|\bbad time\b|\bbusy (?:right now|now|at"
                           r" the moment)\b|\b(?:i am|we are) (?:driving|busy|at work|in a meeting|with a customer"
                           r"|eating|at dinner|out)\b|\breach me (?:later|tomorrow|after)\b|\bring me\b"
                           r"|\bcall me\b"), 0.85, None),
    ("payment_promise", _r(r"\b(?:i|we) (?:will|can|could|am going to|are going to|should be able to|would|promise)"
                           r" (?:to )?(?:pay|send|mail|drop off|put|make|get you|have)\b|\blet me pay\b|\bcheck is in"
                           r" the mail\b|\bpay (?:it|you|the balance|the bill|the invoice|the rest|that|off|in full)\b"
                           r"|\bpay(?:ing)? (?:on|by|next|this|tomorrow|friday|monday)\b|\bpayment (?:on|by|next)\b"),
     0.85, None),
    ("give_feedback", _r(r"\bstars?\b|\brat(?:e|ed|ing)\b.*\b(?:out of|one|two|three|four|five|six|seven|eight|nine"
                         r"|ten|\d+)\b|\bout of (?:five|ten|5|10)\b|\bgive (?:you|them|him|her|it|you guys) (?:a|an)\b"
                         r"|\b(?:great|good|excellent|fantastic|amazing|awesome|wonderful|terrible|awful|poor|bad"
                         r"|nice) (?:job|work|service|experience|technician|tech)\b|\bprofessional\b|\brude\b"
                         r"|\bshowed up (?:late|early|on time)\b|\bhappy with\b|\bsatisfied\b|\bdisappointed\b"
                         r"|\bworks (?:fine|great|perfectly|good|well)\b|\bthank(?:s| you) for\b|\breview\b"
                         r"|\bfeedback\b|\b(?:it|that|he|she|service|experience) was (?:a |an )?(?:one|two|three|four"
                         r"|five|six|seven|eight|nine|ten|\d+|great|good|excellent|fine|terrible|awful|amazing"
                         r"|okay|decent|fantastic|perfect)\b|\brecommend\b|\bdid (?:a )?(?:great|good|nice|fantastic"
                         r"|terrible|bad|poor) job\b|\bworking (?:fine|great|again)\b"), 0.8, None),
    ("book_consultation", _r(r"\b(?:get|want|need|like|have|book|schedule) (?:a|an|the) (?:free )?(?:estimate|quote"
                             r"|consultation|appointment|visit|inspection|assessment)\b(?! for (?:how much|the price))"),
     0.8, lambda t: not re.search(r"\bhow much\b|\bcost\b|\bprice\b", t)),
    ("ask_price", _r(r"\bhow much\b|\bprices?\b|\bpricing\b|\bcosts?\b|\bcharge\b|\brates?\b|\bfees?\b|\bballpark"
                     r"\b|\bquote me\b|\bexpensive\b|\bafford\b"), 0.85, None),
    ("book_consultation", _r(r"\b(?:look at|take a look|inspect|check out|check on|consultation|consult|book|schedule"
                             r"|set up|send (?:someone|somebody|a tech\w*|out)|openings|availability|available"
                             r"|estimate visit|come (?:out|over|by|look|take)|need (?:a|an) (?:plumber|electrician"
                             r"|technician|tech|hvac|someone)|appointment for|fix|repair|install|make an appointment)\b"),
     0.8, None),
    ("reschedule_appointment", _r(r"\b(?:can|could) (?:we|you) (?:do|make it|come)\b|\bhow about\b|\bwhat about\b"
                                  r"|\b(?:possible|able) to (?:do|come|make it|have)\b"
                                  r"|\bwould \w+ work\b|\bdoes \w+ work\b"), 0.65, None),
    ("not_interested", _r(r"\bnot interested\b|\bno thanks\b|\bno thank you\b|\balready (?:have|got|use|work with)\b"
                          r"|\b(?:do not|no) need\b|\bdo not want\b|\bnot looking\b|\b(?:we are|i am) (?:good|fine"
                          r"|all set|set|okay)\b|\ball set\b|\bnot for (?:me|us)\b|\bnot at this time\b|\bpass\b"
                          r"|\bmaybe (?:another|some other) time\b|\bnot right now\b"), 0.85, None),
]


def _first(rules: list[Rule], text: str) -> tuple[str, float] | None:
    for intent, pattern, confidence, guard in rules:
        if pattern.search(text) and (guard is None or guard(text)):
            return intent, confidence
    return None


def classify(u: Utterance, agent: str) -> tuple[str, float]:
    """(intent, confidence) for one normalised utterance from the given speaker."""
    text = u.text
    if not text:
        return "out_of_scope", 0.3
    if agent == "customer":
        found = _first(CUSTOMER, text)
        if found:
            return found
    reply = classify_reply(u.tokens)
    if reply:
        return reply, 0.95
    if transfer_target(text):
        return "transfer", 0.9
    if is_repeat(text):
        return "repeat", 0.9
    if re.search(r"^(?:help|help me|i need help|need help|help please)$", text):
        return "help", 0.9
    found = _first(CUSTOMER_AFTER_REPLY if agent == "customer" else PERSONAL, text)
    if found:
        return found
    if is_help(text):
        return "help", 0.85
    if agent == "customer" and (find_times(text) or find_dates(text, date.today())):
        return "reschedule_appointment", 0.5  # a customer naming a day or time is proposing a slot
    return "out_of_scope", 0.5
