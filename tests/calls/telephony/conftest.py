"""Telephony fixtures (defined in sip_peers.py, which the tests also import helpers from)."""

from sip_peers import baresip, customer, phone_settings, sip_tools, sipp, trunk  # noqa: F401
