"""Contacts: phone numbers in E.164 whatever way they are written, and the right time zone to call in."""

from datetime import UTC, datetime

import pytest

from hero365.erp.domain.contacts import (
    Contact,
    normalize_phone,
    speak_phone,
    timezone_for_phone,
    timezone_for_state,
)
from hero365.erp.domain.errors import InvalidInput

AT = datetime(2026, 11, 23, 14, tzinfo=UTC)


@pytest.mark.parametrize("raw", ["(512) 555-0100", "512.555.0100", "512 555 0100", "+1 512-555-0100",
                                 "1-512-555-0100", "5125550100"])
def test_us_numbers_written_any_way_become_e164(raw) -> None:
    assert normalize_phone(raw) == "+15125550100"


def test_international_numbers_keep_their_country() -> None:
    assert normalize_phone("+44 20 7946 0958") == "+442079460958"


@pytest.mark.parametrize("raw", ["12", "call me", "", "555-01"])
def test_what_is_not_a_phone_number_is_a_clear_error(raw) -> None:
    with pytest.raises(InvalidInput, match="is not a phone number I can use"):
        normalize_phone(raw)


def test_phone_numbers_are_read_aloud_in_groups() -> None:
    assert speak_phone("+15125550100") == "512 555 0100"
    assert speak_phone("+442079460958") == "4 4 2 0 7 9 4 6 0 9 5 8"


def test_an_area_code_gives_its_time_zone() -> None:
    assert timezone_for_phone("+15125550100") == "America/Chicago"
    assert timezone_for_phone("+12125550100") == "America/New_York"
    assert timezone_for_phone("+14155550100") == "America/Los_Angeles"


def test_a_state_gives_its_main_time_zone() -> None:
    assert timezone_for_state("TX") == "America/Chicago"
    assert timezone_for_state("California") == "America/Los_Angeles"
    assert timezone_for_state(None) is None and timezone_for_state("Narnia") is None


def test_a_contact_time_zone_prefers_the_address_then_the_phone_then_the_business() -> None:
    c = Contact(business_id=1, name="Ann")
    assert c.resolve_timezone("America/Denver") == "America/Denver"
    c.add_phone("212 555 0100")
    assert c.resolve_timezone("America/Denver") == "America/New_York"
    c.state = "CA"
    assert c.resolve_timezone("America/Denver") == "America/Los_Angeles"


def test_a_phone_is_added_once_and_a_bad_one_not_at_all() -> None:
    c = Contact(business_id=1, name="Ann")
    assert c.add_phone("(512) 555-0100") == "+15125550100"
    c.add_phone("512.555.0100")
    assert [p.number for p in c.phones] == ["+15125550100"] and c.primary_phone == "+15125550100"
    with pytest.raises(InvalidInput):
        c.add_phone("nope")
    assert len(c.phones) == 1


def test_opting_out_stops_calls_and_marketing() -> None:
    c = Contact(business_id=1, name="Ann")
    c.give_consent(AT, "web form")
    c.opt_out(AT, "asked on a call")
    assert c.do_not_call and c.dnc_source == "asked on a call" and c.dnc_at == AT
    assert not c.marketing_consent and c.consent_source == "asked on a call"
