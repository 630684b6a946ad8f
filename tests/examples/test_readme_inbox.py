import json
import urllib.parse
import urllib.request

import pytest

CONFIRMING = """
[[scenario]]
name = "customers confirm"
match = { text = { contains = "Reply YES" } }
progression = "delivered"
reply = { after = "30s", text = "YES" }
"""

orders = {}


def ask_to_confirm(gateway_url, number, order):
    """Your code under test: it asks the customer to confirm an order by SMS."""
    orders[order] = "waiting"
    query = urllib.parse.urlencode(
        {
            "key": "c2415537c8fca33feab37f0017faddf1fe5a",
            "number": number,
            "sender": "36201234567",  # your inbox number: replies come back to it
            "message": f"Order {order}: Reply YES to confirm, STOP to opt out",
            "reference": order,
            "format": "json",
        }
    )
    with urllib.request.urlopen(f"{gateway_url}?{query}") as response:
        return json.load(response)


def sms_inbox(environ, start_response):
    """Your endpoint on SeeMe's "SMS Inbox" page: SeeMe forwards each reply to it."""
    query = urllib.parse.parse_qs(environ["QUERY_STRING"])
    answer = query["message"][0].strip().upper()
    for order, state in orders.items():
        if state == "waiting":
            orders[order] = {"YES": "confirmed", "STOP": "opted out"}.get(answer, state)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b""]


@pytest.mark.seeme(
    inbox_url="http://testserver/sms/inbox", inbox_numbers="36201234567", scenario=CONFIRMING
)
def test_the_customer_confirms_by_sms(seeme_mock):
    seeme_mock.deliver_to(sms_inbox)  # callbacks and inbox forwards go straight into the app

    assert ask_to_confirm(seeme_mock.url + "/gateway", "36301234567", "A-7")["result"] == "OK"
    seeme_mock.wait_for_inbound("36301234567", timeout=60)  # virtual: 3 s + 30 s, instantly

    assert orders["A-7"] == "confirmed"


@pytest.mark.seeme(inbox_url="http://testserver/sms/inbox", inbox_numbers="36201234567")
def test_a_stop_sent_by_hand(seeme_mock):
    seeme_mock.deliver_to(sms_inbox)
    orders["B-1"] = "waiting"

    seeme_mock.receive_sms("36301234567", "STOP")  # returns once the endpoint answered

    assert orders["B-1"] == "opted out"
