"""Rules for a customer on a call with an agent (ordered; first match wins).

CUSTOMER runs before the yes/no reply check ("yes, that time still works" keeps the appointment);
CUSTOMER_AFTER_REPLY runs after it, so a bare "no" stays a dialogue reply.
"""

from __future__ import annotations

import re

from .replies import is_help
from .rules_personal import Rule, _r

CUSTOMER: list[Rule] = [
    (
        "confirm_appointment",
        _r(
            r"\bworks for (?:me|us)\b|\b(?:time|day|date|that|it|slot|appointment) (?:still )?"
            r"(?:works|is (?:fine|good|great|perfect|ok|okay)|sounds (?:good|great|fine|perfect))"
            r"|\bsee you (?:then|there|tomorrow|on|soon|next|monday|tuesday|wednesday|thursday"
            r"|friday|saturday|sunday|in the)\b|\b(?:we|i) will be (?:there|home|ready|around"
            r"|available|here)\b|\bbe home\b|\bkeep (?:the|my|our|it|that)\b|\bstill on\b"
            r"|\bconfirm(?:ed|ing)? (?:the |my |our )?(?:appointment|visit|time)\b"
            r"|\blooking forward\b|\bwe are (?:still )?good for\b"
        ),
        0.85,
        lambda t: not re.search(r"\b(?:not|never|can not|cancel)\b|\bno\b(?! problem)", t),
    ),
    ("not_interested", _r(r"^no (?:thanks|thank you)$"), 0.8, None),
    ("cancel_appointment", _r(r"\bcancel (?:it|my|our|the|this|that appointment)\b"), 0.85, None),
]
CUSTOMER_AFTER_REPLY: list[Rule] = [
    (
        "opt_out",
        _r(
            r"\b(?:stop|quit|cease) (?:calling|contacting|texting|bothering)\b|\b(?:do not|never) (?:call|contact"
            r"|text)(?: me| us| this number| here)? ?(?:again|anymore|ever)?\b|\btake (?:me|us|my number) off\b"
            r"|\bremove (?:me|us|my number)\b|\bunsubscribe\b|\bno more calls\b|\blose (?:my|this) number\b"
            r"|\bdelete my number\b|\bdo not call list\b|\b(?:off|from) (?:your|the) (?:call |calling "
            r"|contact |mailing )?list\b"
        ),
        0.9,
        None,
    ),
    (
        "wrong_number",
        _r(
            r"\bwrong (?:number|person|house|guy|lady|people|address|phone)\b|\bno (?:one|body) (?:here )?"
            r"(?:by|named|with|called)\b|\bnobody (?:here )?(?:by|named|with|called)\b|\bdoes not live here"
            r"\b|\bnever heard of\b|\bno one (?:lives )?here\b|\bthis is not (?:\w+ )?(?:house|number|"
            r"residence)\b|\bthere is no (?:\w+ ){1,2}here\b|\bno \w+ lives here\b"
        ),
        0.9,
        None,
    ),
    (
        "cancel_appointment",
        _r(
            r"\bcancel\b|\bdo not (?:need|want) (?:you|anyone|someone|somebody|the \w+|a \w+)"
            r"(?: guys)? to come\b|\b(?:do not|no need to) come\b|\bcall(?:ing)? (?:it )?off\b"
            r"|\b(?:no longer|not) need (?:the|this|that|an|my|our) (?:appointment|visit|service)\b"
            r"|\bwe fixed it\b|\bfixed it (?:ourselves|myself)\b|\bdo not bother (?:coming|to come)\b"
            r"|\b(?:got|had) it (?:fixed|taken care of|sorted)\b"
        ),
        0.85,
        None,
    ),
    (
        "reschedule_appointment",
        _r(
            r"\b(?:reschedule|rebook|postpone|push|move|bump|shift|change|switch)\b|\binstead\b"
            r"|\b(?:different|another|other|later|earlier|new) (?:day|time|date|slot|week)\b"
            r"|\bsomething came up\b|\bcan not make it\b|\bwill not be (?:home|there|able)\b"
        ),
        0.85,
        None,
    ),
    (
        "call_back_later",
        _r(
            r"\bcall (?:me |us )?(?:back|later|again|another time|tomorrow)\b|\btry (?:me |us )?(?:again|back"
            r"|later)\b|\b(?:not|is not) a (?:good|great) time\b|\bbad time\b|\bbusy (?:right now|now|at"
            r" the moment)\b|\b(?:i am|we are) (?:driving|busy|at work|in a meeting|with a customer"
            r"|eating|at dinner|out)\b|\breach me (?:later|tomorrow|after)\b|\bring me\b"
            r"|\bcall me\b"
        ),
        0.85,
        None,
    ),
    (
        "payment_promise",
        _r(
            r"\b(?:i|we) (?:will|can|could|am going to|are going to|should be able to|would|promise)"
            r" (?:to )?(?:pay|send|mail|drop off|put|make|get you|have)\b|\blet me pay\b|\bcheck is in"
            r" the mail\b|\bpay (?:it|you|the balance|the bill|the invoice|the rest|that|off|in full)\b"
            r"|\bpay(?:ing)? (?:on|by|next|this|tomorrow|friday|monday)\b|\bpayment (?:on|by|next)\b"
        ),
        0.85,
        None,
    ),
    (
        "give_feedback",
        _r(
            r"\bstars?\b|\brat(?:e|ed|ing)\b.*\b(?:out of|one|two|three|four|five|six|seven|eight|nine"
            r"|ten|\d+)\b|\bout of (?:five|ten|5|10)\b|\bgive (?:you|them|him|her|it|you guys) (?:a|an)\b"
            r"|\b(?:great|good|excellent|fantastic|amazing|awesome|wonderful|terrible|awful|poor|bad"
            r"|nice) (?:job|work|service|experience|technician|tech)\b|\bprofessional\b|\brude\b"
            r"|\bshowed up (?:late|early|on time)\b|\bhappy with\b|\bsatisfied\b|\bdisappointed\b"
            r"|\bworks (?:fine|great|perfectly|good|well)\b|\bthank(?:s| you) for\b|\breview\b"
            r"|\bfeedback\b|\b(?:it|that|he|she|service|experience) was (?:a |an )?(?:one|two|three|four"
            r"|five|six|seven|eight|nine|ten|\d+|great|good|excellent|fine|terrible|awful|amazing"
            r"|okay|decent|fantastic|perfect)\b|\brecommend\b|\bdid (?:a )?(?:great|good|nice|fantastic"
            r"|terrible|bad|poor) job\b|\bworking (?:fine|great|again)\b"
        ),
        0.8,
        None,
    ),
    (
        "book_consultation",
        _r(
            r"\b(?:get|want|need|like|have|book|schedule) (?:a|an|the) (?:free )?(?:estimate|quote"
            r"|consultation|appointment|visit|inspection|assessment)\b(?! for (?:how much|the price))"
        ),
        0.8,
        lambda t: not re.search(r"\bhow much\b|\bcost\b|\bprice\b", t),
    ),
    (
        "ask_price",
        _r(
            r"\bhow much\b|\bprices?\b|\bpricing\b|\bcosts?\b|\bcharge\b|\brates?\b|\bfees?\b|\bballpark"
            r"\b|\bquote me\b|\bexpensive\b|\bafford\b"
        ),
        0.85,
        None,
    ),
    (
        "book_consultation",
        _r(
            r"\b(?:look at|take a look|inspect|check out|check on|consultation|consult|book|schedule"
            r"|set up|send (?:someone|somebody|a tech\w*|out)|openings|availability|available"
            r"|estimate visit|come (?:out|over|by|look|take)|need (?:a|an) (?:plumber|electrician"
            r"|technician|tech|hvac|someone)|appointment for|fix|repair|install|make an appointment)\b"
        ),
        0.8,
        None,
    ),
    (
        "reschedule_appointment",
        _r(
            r"\b(?:can|could) (?:we|you) (?:do|make it|come)\b|\bhow about\b|\bwhat about\b"
            r"|\b(?:possible|able) to (?:do|come|make it|have)\b"
            r"|\bwould \w+ work\b|\bdoes \w+ work\b|^(?:guys )?come\b"
        ),
        0.65,
        lambda t: not is_help(t),  # "what can you do" asks for help, not for a slot
    ),
    (
        "not_interested",
        _r(
            r"\bnot interested\b|\bno thanks\b|\bno thank you\b|\balready (?:have|got|use|work with)\b"
            r"|\b(?:do not|no) need\b|\bdo not want\b|\bnot looking\b|\b(?:we are|i am) (?:good|fine"
            r"|all set|set|okay)\b|\ball set\b|\bnot for (?:me|us)\b|\bnot at this time\b|\bpass\b"
            r"|\bmaybe (?:another|some other) time\b|\bnot right now\b|\b(?:use|have|go with|work with)"
            r" (?:another|a different|our own|someone else|somebody else|other)\b"
        ),
        0.85,
        None,
    ),
]
