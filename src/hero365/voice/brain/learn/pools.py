"""The values training sentences are filled with: many more names, parts and jobs than the demo business has.

Names mix origins and shapes (apostrophes, hyphens, companies, first names alone) so the model learns where
a name sits in a sentence, not which names exist. A business's own lexicon is added to these at training time.
"""

from __future__ import annotations


def _words(text: str) -> list[str]:
    return text.split()


FIRST = _words("""
maria jose luis carlos ana sofia wei li mei jun hiroshi yuki priya raj arjun anil sunita deepa fatima omar ahmed
aisha chinedu ngozi emeka kwame ama olu tunde sean siobhan liam aoife patrick bridget mike bob linda karen
nicole sarah david jennifer james robert mary patricia john michael william elizabeth barbara susan jessica
thomas charles christopher daniel matthew anthony mark donald steven paul andrew joshua kenneth kevin brian
george timothy ronald jason edward jeffrey ryan jacob gary nicholas eric jonathan stephen larry justin scott
brandon benjamin samuel gregory alexander frank raymond jack dennis jerry tyler aaron henry douglas peter adam
nathan zachary walter kyle harold carl jeremy keith roger gerald ethan arthur terry christian sean lawrence
austin joe noah jesse albert bryan billy bruce willie jordan dylan alan ralph gabriel roy juan wayne eugene
logan randy louis russell vincent philip bobby johnny bradley nguyen thanh minh duc tuan hoa lan anh piotr
krzysztof agnieszka katarzyna tomasz dmitri olga ivan svetlana giuseppe marco giulia francesca hans greta lars
ingrid""")

LAST = _words("""
garcia rodriguez martinez hernandez lopez gonzalez perez sanchez ramirez torres flores rivera gomez diaz cruz
reyes morales ortiz gutierrez chavez nguyen tran le pham huynh hoang phan vu vo dang kim lee park choi jung kang
cho yoon chen wang zhang liu yang huang zhao wu zhou xu sun ma zhu hu guo patel shah mehta sharma singh gupta
kumar reddy iyer rao nair desai joshi okafor okonkwo adeyemi babatunde mensah owusu mwangi otieno smith johnson
williams brown jones miller davis wilson anderson taylor thomas moore jackson martin thompson white harris clark
lewis robinson walker young allen king wright scott hill green adams baker nelson carter mitchell roberts turner
phillips campbell parker evans edwards collins stewart morris murphy cook rogers morgan peterson cooper reed
bailey bell kelly howard ward cox richardson wood watson brooks bennett gray james hughes price sanders myers
long ross foster powell jenkins perry russell sullivan fisher henderson coleman simmons patterson jordan
reynolds hamilton graham wallace west cole hayes gibson ellis stevens murray ford marshall owens mcdonald
harrison kennedy wells alvarez woods castillo olson webb washington tucker freeman burns henry vasquez snyder
simpson crawford jimenez porter mason shaw gordon wagner hunter romero hicks dixon hunt palmer robertson black
holmes stone meyer boyd mills warren fox rose rice moreno schmidt ferguson nichols kowalski nowak wisniewski
wojcik kowalczyk lewandowski schultz mueller weber becker hoffman rossi russo ferrari esposito bianchi romano
colombo ricci marino greco ivanov petrov smirnov novak horvat jansen de jong van dijk bakker visser yamamoto
tanaka suzuki watanabe takahashi sato ito kobayashi nakamura""")

#: Surnames people say with an apostrophe or a hyphen, and how they come out of a recogniser.
ODD_LAST = ["o'brien", "o'neil", "o'connor", "o'malley", "o'reilly", "d'angelo", "mcallister", "macdonald",
            "smith-jones", "garcia-lopez", "lee-chen", "st. john", "van der berg", "de la cruz", "del rio",
            "mcintyre", "fitzgerald", "o'hara", "dubois", "le blanc"]

COMPANIES = ["first baptist of austin", "church of the redeemer", "bank of the hills", "sisters of mercy clinic",
             "house of pies", "city of round rock", "knights of columbus hall", "st. luke's church of christ",
             "university of texas annex", "boys and girls club of dallas",
             "smith plumbing supply", "valley electric", "metro hvac supply", "johnson roofing", "city heating and air",
             "northgate plumbing", "ace electrical contractors", "premier air", "lakeside property services",
             "riverside baptist church", "lakeview apartments", "acme property management", "sunset diner",
             "desert palms hoa", "st. mark's church", "oak ridge elementary", "hillside dental",
             "green valley hoa", "the corner bakery", "main street laundromat", "bluebonnet realty",
             "crossroads storage", "pinecrest condos", "city view lofts", "westside animal hospital",
             "golden gate preschool", "harbor freight", "maple leaf motel", "lone star brewing",
             "summit property group", "cedar park library", "brookside senior living", "valley tire and auto",
             "first united methodist", "river oaks country club", "parkway plaza", "eagle rock cafe",
             "north shore yoga", "bright smiles orthodontics"]

PRODUCTS = ["r-410a", "r22", "forty gallon water heaters", "run capacitors", "1/2 inch tees", "3/4 inch ball valves",
            "cpvc elbows", "no-hub couplings", "b-vent pipe", "10-2 romex", "arc-fault breakers", "p-traps",
            "half inch copper elbows", "three quarter inch pex", "pex tubing", "pex crimp rings", "wax rings",
            "20 amp breakers", "15 amp breakers", "gfci outlets", "merv 13 filters", "16 by 25 filters",
            "air filters", "water heater elements", "anode rods", "ball valves", "shutoff valves",
            "p traps", "supply lines", "toilet flappers", "fill valves", "thermocouples", "flame sensors",
            "capacitors", "contactors", "condensate pumps", "refrigerant", "r410a", "teflon tape",
            "pipe dope", "sharkbite couplings", "copper couplings", "pvc cement", "two inch pvc", "abs fittings",
            "wire nuts", "romex", "12 gauge wire", "junction boxes", "smoke detectors", "led bulbs",
            "thermostats", "faucet cartridges", "garbage disposals", "sump pumps", "expansion tanks",
            "drain snakes", "hose bibs", "dielectric unions", "flex connectors", "gas valves", "duct tape",
            "foil tape", "mastic", "condenser fan motors", "blower motors", "igniters", "float switches"]

SERVICES = ["drain cleaning", "water heater flush", "water heater install", "ac tune up", "furnace tune up",
            "panel upgrade", "leak detection", "sewer camera inspection", "hydro jetting", "toilet repair",
            "faucet replacement", "ceiling fan install", "ev charger install", "whole house surge protector",
            "duct cleaning", "thermostat install", "tankless water heater", "slab leak repair",
            "garbage disposal replacement", "outlet repair", "rewiring", "backflow test", "gas line repair",
            "ac repair", "heat pump install", "sump pump install", "water softener install", "diagnostic visit",
            "service call", "maintenance plan", "repipe", "main line clearing", "breaker replacement",
            "lighting install", "generator install", "dryer vent cleaning", "mini split install"]

TITLES = ["furnace tune up", "ac tune up", "heat pump check up", "drain clean out", "sewer line clean out",
          "water heater flush", "gas line hook up", "dryer vent clean up", "panel swap out",
          "smoke detector change out",
          "replace the water heater", "fix a leaking faucet", "kitchen sink clog", "furnace not heating",
          "ac not cooling", "install a ceiling fan", "replace the thermostat", "check the breaker panel",
          "garbage disposal jammed", "running toilet", "low water pressure", "install ev charger",
          "bathroom remodel rough in", "replace shutoff valve", "sewer backup", "outlets not working",
          "tripping breaker", "install whole house filter", "annual maintenance", "replace the sump pump",
          "water heater leaking", "gas smell in the garage", "new light fixtures", "duct inspection",
          "replace the condenser fan motor", "frozen pipes", "dripping shower head", "reroute the drain line"]

COMMENTS = ["he was two hours late", "the tech was very polite", "he cleaned up after himself",
            "she explained everything",
            "he tracked mud through the house", "the price was fair", "it took way too long",
            "the heater works great now",
            "nobody called to say they were running late", "they fixed it in no time",
            "he wore shoe covers, nice touch",
            "the office never called me back", "the young man was very respectful", "it leaked again the next day",
            "really knew his stuff", "left a mess in the garage", "showed up right on time", "charged more than quoted"]

CHATTER = ["i swear my memory is shot", "traffic is nuts today", "i'm running behind", "before i forget",
           "while i'm thinking of it", "the customer's waiting on me", "i'm about to lose signal",
           "sorry it's loud here",
           "i'm in the truck", "my hands are full", "long day", "real quick", "if that makes sense", "you know",
           "i think", "no rush", "when you get a sec", "my wife's asking", "we're slammed", "anyway"]

MILESTONES = ["final walkthrough with the owner", "rough in inspection with the city", "second floor drywall done",
              "boiler commissioning", "fixtures set in both bathrooms", "third floor repipe done",
              "framing done", "rough in complete", "tile finished", "inspection passed", "drywall hung",
              "demo finished", "electrical roughed in", "fixtures installed", "paint done", "permit pulled",
              "rough in", "final inspection", "drywall", "fixtures set", "permit approved", "demo done",
              "trim out", "city inspection", "punch list", "tile done", "cabinets installed", "walkthrough"]

NOTES = ["customer has two dogs, use the back gate", "water heater is original, recommend replacing",
         "old galvanized lines, will need a repipe", "tenant works nights, call after noon",
         "access through the alley, gate code four four one two", "breaker panel is full, no room for the circuit",
         "called about the estimate", "called about a leak under the sink", "called to complain about the bill",
         "stopped by the shop", "called asking about a water heater", "emailed about the invoice",
         "the dog is friendly", "gate code is four four one two", "customer wants a quote for a new sink",
         "waiting on parts", "left a voicemail", "needs a second visit", "use the side door",
         "the water heater is twelve years old", "customer was happy with the work", "bring a ladder",
         "replaced the flapper", "found a leak under the slab", "park on the street", "call before coming",
         "ordered the replacement valve", "wants it done before the holidays", "breaker is double tapped",
         "she prefers texts", "the attic access is in the closet", "paid half up front"]

REMINDERS = ["pick up the permit at the city building", "drop the keys off at the office",
             "call the supply house about the back order", "swap the filters at the church",
             "eat something", "call the bank", "pick up the kids", "take my meds", "move the truck",
             "call the city about the permit",
             "check the crawl space vent", "bring the ladder back", "text the inspector", "buy more coffee",
             "call the supplier", "pick up parts", "order filters", "renew my license", "send the permit",
             "check on the henderson estimate", "get the truck serviced", "drop off the invoice",
             "call my wife", "grab a new drill battery", "file the inspection report", "restock the van",
             "email the inspector", "pay the supply house"]

BUSINESSES = ["hero home services", "cool breeze hvac", "bright spark electric", "austin drain pros",
              "lone star heating and air", "my other company", "the hvac side", "the electrical side",
              "my brother's company", "comfort pros", "rapid rooter", "the plumbing company", "the other account"]

TECHNICIANS = ["tina", "marcus", "dave", "luis", "kim", "jamal", "rosa", "ben"]

#: How people say a job's status ("wrapped up" is completed).
STATUS_WORDS = ["done", "complete", "completed", "finished", "in progress", "on hold", "cancelled", "started", "paused",
                "scheduled", "wrapped up", "closed"]
