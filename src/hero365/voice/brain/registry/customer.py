"""What a customer says on a call with a calling agent or the receptionist: one entry per intent."""

from __future__ import annotations

from ..nlu import frames as f
from .spec import Ask, Intent

C = ("customer",)

CUSTOMER: tuple[Intent, ...] = (
    Intent(
        "confirm_appointment", C, "keep your appointment", tool="confirm_appointment", help="confirm",
        templates=(
            "(yes|yeah|yep) [that|the] (time|day|appointment) (still )?works [for (me|us)]",
            "(that|it) works for (me|us)",
            "(we'll|i'll) be (there|home|here|around)",
            "(great|perfect|okay|sounds good)[,] (we'll|i'll) (be here|be home|see you then)",
            "see you (then|tomorrow|{date}|in the morning)",
            "(keep|leave) (it|the appointment|my appointment) (as is|where it is)",
            "(we're|i'm) still (on|good) for {date}",
            "(yes|yeah) (i'll|we'll) be (home|here) {date}",
            "confirm(ed)? [my|the] appointment",
            "(that's|that is) (fine|perfect|great), see you then",
            "count (me|us) in [for {date}]",
            "(looking forward to it|we're all set for it)",
            "(yep|yes) still need (you|someone) to come (out|by)",
            "(sure|yes), {date} at {time} is (good|fine|perfect)",
            "(the|our) (appointment|visit) is (still )?(good|on|fine)",
            "(absolutely|definitely), (we'll|i'll) be (there|ready)",
        ),
    ),
    Intent(
        "reschedule_appointment", C, "move your appointment", fill=f.when, tool="reschedule_appointment",
        needs=(("date", "time"),),
        asks=(Ask("when", "What day and time would work better for you?"),), help="move",
        templates=(
            "(can|could) we (move|push|change|reschedule) (it|the appointment|that) [to {when}]",
            "i need to reschedule [for {when}]",
            "(can you|could you) come {when} instead",
            "(is|would) {when} (possible|work)",
            "i can't make it {date}[, (can|could) we do {when}]",
            "something came up, can we (do|move it to) {when}",
            "(how about|what about) {when}",
            "(push|bump|move) (it|me) (to|back to) {when}",
            "i (won't|will not) be home {date}",
            "(do you have|is there) (anything|something|an opening) {when}",
            "(can|could) we (do|make it) {when}",
            "(a different|another|a later|an earlier) (day|time) (would be better|please)",
            "{when} would be better [for (me|us)]",
            "(i'd|we'd) rather (do|have you come) {when}",
            "(that|it) doesn't work, (can|could) (you|we) (do|come) {when}",
            "(change|switch) (it|my appointment) to {when}",
            "(could|can) you (guys )?come (on|by) {date} [instead]",
            "(would|could) {date} (be possible|work) instead",
        ),
    ),
    Intent(
        "cancel_appointment", C, "cancel your appointment", tool="cancel_appointment", help="cancel",
        templates=(
            "(i|we) (need|want|have) to cancel [the|my|our] [appointment|visit]",
            "(please )?cancel (it|my appointment|the appointment|the visit)",
            "(we|i) (fixed|got) it (ourselves|myself|fixed|taken care of)[, (so )?(no need to come|you don't need to"
            " come)]",
            "(no need|you don't need) to (come|send anyone|send someone) [(out|anymore|now)][, it's (fixed|working"
            " again)]",
            "(don't|do not) (bother coming|send anyone)[, we're (good|fine) now]",
            "(call it off|we're calling it off)",
            "(we|i) (don't|no longer) need (the|that) (appointment|visit|service) [anymore]",
            "(it|the problem) (fixed itself|is fixed)[, cancel the visit]",
            "(my husband|my wife|my son|a neighbor) (fixed|took care of) it, (so )?cancel",
            "(we|i) went with someone else[, (so )?cancel]",
            "(never mind|forget) the appointment",
            "(i'd like to|i want to) cancel (my|the|our) (service|visit|appointment)",
        ),
    ),
    Intent(
        "book_consultation", C, "book a visit", fill=f.consultation, tool="book_consultation",
        help="book a visit",
        templates=(
            "(i'd like to|i want to|can i|could i) (book|schedule|set up) (a|an)"
            " (appointment|visit|consultation|estimate) [for {service}] [{when}]",
            "(can|could) (you|someone) (come|come out|come by|send someone) [to (look at|fix|check)] [my|our|the]"
            " [{service}] [{when}]",
            "(i|we) need (a plumber|an electrician|someone|a tech|a technician) [to (look at|fix|check out)]"
            " [{service}] [{when}]",
            "(my|our|the) (water heater|ac|furnace|toilet|sink|breaker|disposal|drain) is (leaking|broken|not"
            " working|clogged|tripping)[, can (you|someone) come [out] {when}]",
            "(book|schedule) (me|us) (in )?for {service} [{when}]",
            "(i'd like|we'd like|i want) (a|an|the) {service} [{when}]",
            "(do you have|what's your) (availability|any openings) (for|to do) {service} [{when}]",
            "(get|put) (me|us) on the (schedule|calendar) for {service} [{when}]",
            "(i'd like|we need) (a|an) (estimate|quote) (on|for) {service}",
            "(can|could) (somebody|someone) (take a look|look) at (my|our) {service} [{when}]",
            "(i|we) (have|got) (a|an) (leak|clog|no hot water|no heat|no ac|burst pipe)[, (can|could) (you|someone)"
            " come [{when}]]",
        ),
    ),
    Intent(
        "ask_price", C, "hear a price", fill=f.price, tool="ask_price", help="prices",
        templates=(
            "how much (do you charge|is it|does it cost|would it cost|will it cost|are you) (for|to do) [a|an]"
            " {service}",
            "what (does|do) (a|an)? {service} (cost|run|go for)",
            "how much is (a|an) {service}",
            "what's (the|your) (price|rate|fee|charge) (for|on) {service}",
            "(roughly|ballpark) (what|how much) (would|will) {service} (cost|be|run)",
            "(what's|what is) (your|the) (diagnostic|service call|trip) (fee|charge)",
            "how much (is that|is this) (gonna|going to) (cost|run) (me|us)",
            "(is|are) {service} expensive",
            "(give|quote) me a (price|ballpark) (on|for) {service}",
            "what do you (guys )?charge (for|to) {service}",
            "(how much|what) (do|would) i (pay|be looking at) for {service}",
            "do you charge (to come out|for estimates|a fee)",
        ),
    ),
    Intent(
        "payment_promise", C, "tell us when you'll pay", fill=f.payment_promise, tool="payment_promise", help="say"
        " when you'll pay",
        asks=(Ask("date", "What date can you make the payment?"),),
        templates=(
            "(i'll|i will|we'll|we will|i can|i should be able to) (pay|send|mail|get you) (it|the payment|the"
            " money|the balance|that|{amount}) [by|on] {date}",
            "(i'll|we'll) have (the money|the payment|it|your money|a check) (to you|for you|in the mail) [by] {date}",
            "(i get|we get) paid {date}, (i'll|we'll) (pay|take care of it) then",
            "(the )?check('s| is) in the mail",
            "(i'll|we'll) pay [{amount}] {date}",
            "(can|could) i pay {date}",
            "(let me|i'll) (pay|settle) (it|the bill|up) {date}",
            "(expect|look for) (a|the) payment {date}",
            "(i'll|i can) (put|make) a payment of {amount} {date}",
            "(i'll|we'll) (pay|send) half {date} and the rest {date}",
            "(i'll|we'll) (drop off|mail) a check {date}",
            "(i'm|we're) (going to|gonna) pay (it|that|the invoice) (off )?{date}",
        ),
    ),
    Intent(
        "give_feedback", C, "rate our work", fill=f.feedback, tool="give_feedback", help="feedback",
        asks=(Ask("rating|note", "How would you rate our work, from one to five?"),),
        templates=(
            "(i'd|i would) (give|rate) (it|you|him|her|them) (a )?{rating} [out of (five|ten)]",
            "{rating} (stars|out of five)",
            "(the|your) (tech|technician|guy|plumber|electrician) was"
            " (great|excellent|rude|late|professional|fantastic|terrible)",
            "(great|good|excellent|terrible|awful) (job|work|service)[, {note}]",
            "(everything|it|the heater|the ac) (is )?(works|working) (great|fine|perfectly) now",
            "(we're|i'm) (very )?(happy|satisfied|pleased|disappointed|unhappy) with (the work|the service|how it"
            " went)",
            "(he|she|they) (did|do) (a )?(great|good|nice|terrible|sloppy) job[, {note}]",
            "(i'd|we'd) (definitely )?recommend you",
            "(honestly|well) it was (fine|okay|great|a mess)[, {note}]",
            "(he|she) (showed up|came) (late|early|on time)[, {note}]",
            "(the )?(service|experience) was (a )?{rating}",
            "(thanks|thank you) for (fixing|getting to) it so (fast|quick)",
            "{comment}",
            "(honestly|well|i'd say) [a] {rating}[,] {comment}",
            "{rating} (stars|star)[,] {comment}",
            "(i'll be honest|to be honest)[,] {comment}",
            "(i want|i'd like|i wanted|can i) to (leave|give|share) (some|a little|my|quick) feedback",
            "i (have|got) (some )?feedback (for you|about the visit)",
        ),
    ),
    Intent(
        "call_back_later", C, "have us call back later", fill=f.when, tool="call_back_later", help="call back later",
        templates=(
            "(can|could) you call (me|us) back [{when}]",
            "(this|now) (isn't|is not) a good time",
            "(i'm|we're) (driving|busy|at work|in a meeting|with a customer|at dinner) [right now]",
            "call (me|us) (back )?(later|tomorrow|{when})",
            "(try|call) (me|us) (again|back) [{when}]",
            "(can we|let's) talk (later|{when})",
            "(i|we) can't talk (right )?now",
            "(catch|reach) me (later|after {time}|{when})",
            "bad time[, call (back|later)]",
            "(ring|call) me (back )?(after|around) {time}",
            "(i'm|we're) (in the middle of something|on the other line)",
        ),
    ),
    Intent(
        "not_interested", C, "decline", tool="not_interested", help="decline",
        templates=(
            "(i'm|we're) not interested",
            "no thanks",
            "no thank you[, (i'm|we're) (good|fine|all set)]",
            "(we|i) already (have|use|got) (someone|a plumber|a guy|a company)",
            "not (right now|at this time|for (me|us))",
            "(we're|i'm) (good|fine|all set|okay)[, thanks]",
            "(maybe|perhaps) (another|some other) time",
            "(i'll|we'll) pass",
            "(we|i) (don't|do not) (need|want) (that|it|the service|an upgrade|a tune up)",
            "not looking (for|to do) that [right now]",
            "(we|i) (went|are going) with (another|a different) company",
            "(we're|i'm) gonna hold off",
        ),
    ),
    Intent(
        "opt_out", C, "stop our calls", tool="opt_out", protected=True, help="stop calls",
        check="Just to check: would you like us to stop calling you?",
        cues=(r"\b(?:stop|quit|cease) (?:calling|contacting|texting|bothering|ringing)\b|\b(?:do not|never) (?:call"
              r"|contact|text|ring)(?: me| us| this number| here)? ?(?:again|anymore|ever)\b|\btake (?:me|us|my number"
              r"|this number) off\b|\bremove (?:me|us|my number|this number)\b|\bunsubscribe\b|\bno more calls\b"
              r"|\blose (?:my|this) number\b|\bdelete (?:my|this) number\b|\bdo not call (?:list|registry)\b"
              r"|\b(?:off|from) (?:your|the) (?:call |calling |contact )?list\b|\bopt (?:me )?out\b",),
        templates=(
            "(stop|quit|cease) (calling|ringing|phoning|contacting|bothering) (me|us|this number|my phone)["
            " (please|already)]",
            "(don't|do not|never) (call|contact|text|ring) (me|us|this number|here) (again|anymore|ever again)",
            "(take|get) (me|us|my number|this number) off (your|the) (list|call list|calling list)",
            "(remove|delete|lose) (me|my number|this number) [from your (list|system)]",
            "put (me|us|this number) on (your|the) do not call (list|registry)",
            "(unsubscribe|opt out)[ (me|please)]",
            "(no more|enough with the|i don't want these) (calls|robocalls|automated calls|messages)",
            "i (don't|do not) want (you|anyone) (calling|contacting) (me|us) [again]",
            "(this is|i'm) on the do not call (list|registry)",
            "(how|can) (do )?i (stop|get off) these calls",
            "(quit|stop) (blowing up|calling) my phone",
            "(i'm|we're) (done|through) (with|getting) (your|these) calls",
            "(forget|lose) (my|this) number",
            "(i said|i told you) (stop|don't call)",
            "(leave me|leave us) alone[, (stop|quit) calling]",
        ),
    ),
    Intent(
        "wrong_number", C, "tell us it's the wrong number", tool="wrong_number", protected=True,
        check="Just to check: have we reached the wrong number?",
        cues=(r"\bwrong (?:number|person|house|guy|lady|people|phone)\b|\b(?:no one|nobody) (?:here )?(?:by|named"
              r"|with|called) \b|\bdoes not live here\b|\bnever heard of\b|\bno one (?:lives )?here\b"
              r"|\bno \w+ lives here\b",),
        templates=(
            "(you've|you have|you got) the wrong number",
            "wrong (number|person|house)",
            "(there's|there is) no {firstname} here",
            "(no one|nobody) (here )?(by that name|named {firstname}|called {firstname})",
            "{firstname} (doesn't|does not) live here [anymore]",
            "(i've|i have) never heard of (them|{firstname}|that person)",
            "(this isn't|this is not) {firstname}['s (number|phone)]",
            "(i|we) (just )?got this number",
            "(that|{firstname}) (was|is) the (old|previous) (owner|tenant)",
            "(you|you've) (must )?(have|dialed) the wrong (number|person)",
            "(i|we) don't know (any|a|anyone named) {firstname}",
            "(who|what) (is|are) you (looking|trying to reach)[? not me]",
        ),
    ),
    Intent(
        "get_my_appointment", C, "hear when your appointment is", tool="get_my_appointment", contract="get_job_details",
        reads=True, help="your appointment",
        templates=(
            "when('s| is) my (next )?(appointment|visit)",
            "when (are you|is the (tech|technician|plumber)) coming",
            "what time (is|was) (my|the) (appointment|visit) [again]",
            "(do i|do we) have an appointment [coming up|{date}]",
            "(remind me|tell me) when (you're|the tech is) coming",
            "(is|are) (someone|you guys) (still )?coming {date}",
            "what day (is|was) (my|our) appointment",
            "(when|what time) should i expect (the|your) (tech|technician|guy)",
        ),
    ),
    Intent(
        "get_my_balance", C, "hear what you owe", tool="get_my_balance", contract="get_invoice_status",
        reads=True, help="your balance",
        templates=(
            "(how much|what) do i owe [you|you guys]",
            "what('s| is) my balance",
            "do i owe (you )?anything",
            "(is|was) my (bill|invoice) paid",
            "how much is (my|the) (bill|invoice)",
            "did you (get|receive) my payment",
            "(what's|what is) (left|outstanding) on my (account|bill)",
            "(am i|are we) paid up",
            "(do|did) i still have a balance",
            "what('s| is) the (total|amount) (on|for) my (invoice|bill)",
        ),
    ),
)
