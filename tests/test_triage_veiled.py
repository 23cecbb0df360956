"""Crisis told without its words: a patient stops what keeps them alive and says they are
ready, leaves a message for someone they love, puts their affairs in order and says thanks,
or uses the slang of a younger writer. Each is answered with 988, and its look-alike (a
hospice decision, a will, a thank-you, a wish to die at home) is left to the nurse."""

from __future__ import annotations

import pytest

from config.settings import DEFAULT_TRIAGE
from hub.triage import load_triager
from hub.triage.classify import Triager


@pytest.fixture(scope="module")
def triager() -> Triager:
    return load_triager(DEFAULT_TRIAGE)


@pytest.mark.parametrize("text", [
    "ready to go home to the Lord. i stopped taking my insulin last week",
    "dad took his oxygen off this morning and says hes done, wont let me put it back",
    "mi abuela dice que va a dejar de comer hasta morirse, ya no quiere nada",
    "ya estoy listo pa irme, bote mis medicinas y que sea lo que Dios quiera",
    "i quit my insulin, im ready to meet my maker",
])
def test_stopping_what_keeps_one_alive_with_a_readiness_to_die_is_a_crisis(triager, text):
    assert triager.classify(text).guidance == "988"


@pytest.mark.parametrize("text", [
    "please tell my son i loved him. i cant keep doing this",
    "diganle a mi hija que la quiero mucho y que me perdone",
])
def test_a_message_left_for_someone_loved_is_a_crisis(triager, text):
    assert triager.classify(text).guidance == "988"


def test_affairs_put_in_order_with_a_final_sounding_thanks_is_a_crisis(triager):
    text = "the password for my phone is in the kitchen drawer and the cat goes to my sister. "
    text += "thank you for everything"
    assert triager.classify(text).guidance == "988"


@pytest.mark.parametrize("text", ["lowkey wanna unalive myself tbh", "kms fr this is too much",
                                  "gonna ctb tonight"])
def test_the_slang_of_younger_writers_is_read_as_suicide(triager, text):
    assert triager.classify(text).guidance == "988"


@pytest.mark.parametrize("text", [
    "we decided with dr lee to stop the dialysis and start hospice, what are the next steps",
    "working on my will and my papers this weekend, can the doctor sign the POLST form?",
    "please tell the doctor thank you for the card, it was very kind",
    "my mother says she wants to die at home, not in a hospital. who sets up hospice?",
    "can i stop taking my metformin when i travel? ready to go on vacation friday",
    "stopped taking my blood thinner for the procedure like they said, ready to go tomorrow",
    "the dog is with my sister tonight while we are at the hospital",
    "drove 30 kms to the pharmacy and they were closed",
    "stopped my lisinopril because of the cough, is that ok?",
    "ya no tomo la metformina porque me cae mal, que hago",
])
def test_the_look_alikes_of_those_crises_stay_routine(triager, text):
    assert not triager.classify(text).urgent
