"""Statuses and the short dialogue replies (confirm / deny / cancel / transfer)."""

import pytest

from hero365.voice.brain.nlu import classify_reply, parse_status, transfer_target


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("I'm done with it", "completed"),
        ("mark it complete", "completed"),
        ("finished up at the garcia place", "completed"),
        ("we wrapped up", "completed"),
        ("I'm starting the johnson job now", "in_progress"),
        ("set it to in progress", "in_progress"),
        ("not done yet", "in_progress"),
        ("put it on hold waiting for parts", "on_hold"),
        ("cancel job twelve", "cancelled"),
        ("they called it off", "cancelled"),
        ("set job 14 back to scheduled", "scheduled"),
    ],
)
def test_status(text, status):
    assert parse_status(text) == status


def test_no_status():
    assert parse_status("what is the address") is None


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Yes.", "confirm"),
        ("yeah go ahead", "confirm"),
        ("That's right, do it.", "confirm"),
        ("uh huh", "confirm"),
        ("sounds good go for it", "confirm"),
        ("No.", "deny"),
        ("nope that's wrong", "deny"),
        ("no don't do that", "deny"),
        ("no wait", "deny"),
        ("Never mind.", "cancel"),
        ("forget it cancel that", "cancel"),
        ("stop", "cancel"),
    ],
)
def test_replies(text, kind):
    assert classify_reply(text) == kind


@pytest.mark.parametrize("text", ["no thanks I'm not interested", "cancel job twelve", "yes that time works for me"])
def test_longer_sentences_are_not_bare_replies(text):
    assert classify_reply(text) is None


@pytest.mark.parametrize(
    ("text", "target"),
    [
        ("transfer me to support", "support"),
        ("let me talk to sales", "sales"),
        ("can i speak to a real person", "human"),
        ("get me a human", "human"),
        ("switch me to my personal assistant please, transfer", "personal"),
    ],
)
def test_transfer_targets(text, target):
    assert transfer_target(text) == target


def test_needing_someone_is_not_a_transfer():
    assert transfer_target("i'd like to schedule someone to look at my ac unit") is None
