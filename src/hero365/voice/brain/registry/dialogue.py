"""Dialogue control either speaker uses, and what is nobody's business here (out of scope)."""

from __future__ import annotations

from .spec import BOTH, Ask, Intent

DIALOGUE: tuple[Intent, ...] = (
    Intent(
        "confirm", BOTH, "say yes", tool="confirm_action",
        templates=(
            "(yes|yeah|yep|yup|sure|okay|ok|correct|right|absolutely|definitely)[ (please|go ahead|do it)]",
            "(go ahead|do it|sounds good|that's right|that's correct|perfect|looks good|send it|book it)",
            "(this is|it's) (he|she|him|her|me)", "(speaking|this is {firstname}|{firstname} speaking)",
            "(yep|yes|yeah),? (you've|you) got (him|her|me)", "(that's|that is) me", "(yes|yeah) this is (she|he|{firstname})",
            "you('re| are) (talking|speaking) (to|with) (him|her|me)", "(mhm|uh huh|yes ma'am|yes sir|you bet|of course)",
            "(yeah|yes) (that's|that is) (fine|good|right|it)", "(correct|right), go ahead",
        ),
    ),
    Intent(
        "deny", BOTH, "say no", tool="cancel_action",
        templates=(
            "(no|nope|nah|negative|not really|no way)", "(that's|that is) (wrong|not right|not it|incorrect)", "no,? (that's|it's) not (right|it)",
            "(don't|do not) do that", "(not|no) that one", "(no|nope),? (i don't think so|wrong one)", "(absolutely|definitely) not",
        ),
    ),
    Intent(
        "cancel", BOTH, "cancel what we were doing", tool="cancel_action",
        templates=(
            "(cancel|cancel that|never mind|forget it|forget about it|scratch that|stop|abort|disregard that)",
            "(i )?changed my mind", "(let's )?start over", "(don't|do not) bother", "(never mind|forget) (that|all that|the whole thing)",
        ),
    ),
    Intent(
        "help", BOTH, "hear what I can do",
        templates=(
            "help", "(what can you|what do you|how can you) (do|help (me )?with)", "what (can|should) i (say|ask)",
            "how does this work", "(i'm|i am) (confused|lost|stuck)", "what are (my|the) options", "(help me|i need help)[ please]",
            "what kind of things can you do",
        ),
    ),
    Intent(
        "repeat", BOTH, "hear that again",
        templates=(
            "(say|repeat) (that|it) again", "(sorry|what|huh|pardon)[?]", "(can|could) you repeat (that|yourself|the question)",
            "what did you (just )?say", "(i )?(didn't|did not) (catch|hear|get) (that|you)", "come again", "one more time",
            "(i )?missed that", "(you|it) (cut|broke) out[, what was that]",
        ),
    ),
    Intent(
        "transfer", BOTH, "talk to a person", tool="transfer", protected=True,
        asks=(Ask("target", "Would you like sales, support, or a person?"),), help="talk to a person",
        templates=(
            "(let me|can i|i want to|i'd like to|i need to) (talk|speak) (to|with) {target}",
            "(transfer|connect|put) me (to|through to|with) {target}", "(get|give) me {target}[ please]",
            "(is there|can i get) {target} (i can talk to|on the line)", "{target}[,] please", "i (want|need) {target}",
            "(i'm|i am) done talking to a (machine|robot|computer)[, get me {target}]", "(can|could) {target} call me",
        ),
    ),
)

#: Not ours: everyday assistant requests, small talk and near misses (trade words, no business action).
OUT_OF_SCOPE = Intent(
    "out_of_scope", BOTH, "something else",
    templates=(
        "play (some )?(music|jazz|country|the news|my playlist|{firstname}'s song)", "set a timer for (ten|five|twenty) minutes",
        "(wake me up|set an alarm) (at|for) {time}", "what's the capital of (france|peru|australia)", "tell me a joke",
        "who won the (game|super bowl|world series) [last night]", "(turn|switch) (on|off) the (lights|tv|radio)",
        "add (milk|eggs|bread) to (my|the) (shopping|grocery) list", "(call|text) my (mom|wife|husband|brother)",
        "how do you (say|spell) {firstname} in (spanish|french)", "what's (two|five) times (three|nine)",
        "order (me )?(a pizza|some food|lunch|tacos|coffee)", "book (a table|dinner|a haircut|a flight|a hotel) [for {date}]",
        "(what's|how's) the (stock market|traffic on the interstate|score)", "(find|where is) the nearest (gas station|home depot|starbucks)",
        "what time is it [in (tokyo|london)]", "(how old|how tall) is {firstname} {lastname}", "(what's|what is) the meaning of life",
        "(are you|you're) a robot", "what's your (name|favorite color)", "(i'm|i am) (hungry|tired|bored)", "(how are you|how's it going)",
        "(do you|can you) sell (solar panels|cars|insurance)", "(are you|is the company) hiring", "(what's|how much is) copper (going for|selling for)",
        "what's the weather on mars", "(schedule|book) (my|a) (dentist|doctor) appointment", "how do i fix a (leaky faucet|running toilet) myself",
        "(what's|how's) my (wife's|kid's) schedule", "read me the news", "(who|what) is the president", "(send|email) my mom a (birthday card|message)",
        "(play|put on) (a podcast|an audiobook)", "(how many|what) (ounces|feet|miles) (in|are in) a (pound|yard|kilometer)",
        "(what's|what is) (on tv|on netflix) tonight", "(turn|set) the thermostat (up|down|to seventy)", "(lock|unlock) the (front|back) door",
        "(i love|i like) your voice", "(what's|what is) your return policy", "(did|does) (the|my) package (arrive|ship)",
        "(translate|how do you say) (thank you|good morning) in (spanish|german)", "(find|show) me a recipe for (chili|tacos|pancakes)",
        "(how|what) do (plumbers|electricians) make (a year|an hour)", "(is|are) (the|my) (bank|post office) open {date}",
        "(what|which) (movie|restaurant) should i (watch|try)",
        "(sing|hum) me a song", "(flip|toss) a coin", "(roll|throw) a (die|dice)", "spell (plumber|thermostat)",
    ),
)
