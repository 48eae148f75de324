"""Authorization probes (issue 8), driven by /openapi.json so no endpoint is forgotten:
every endpoint with an id in its path is called by another buyer and another seller with
the ids of a victim's order, dispute, evidence file, extension, refund, balance and user.
Each answer must be exactly the answer for an unknown id (same status, same problem, the id
aside), carry no byte of the victim's objects, and change nothing. Then mass assignment:
the owners' own requests with ``status``, ``refund_amount``, ``buyer_id``, ``role`` (and
more) smuggled into each body are refused with 422, changing nothing."""

from __future__ import annotations

import re
from typing import Any

import pytest
from api_client import Api, api_fixture  # noqa: F401

from long_runs import record

UNKNOWN = {"order_id": "ord_00000000000000000000000000", "dispute_id": "dsp_0000000000000000",
           "file_id": "file_00000000000000000000", "extension_id": "ext_0000000000000000",
           "seller_id": "usr_0000000000000000", "user_id": "usr_0000000000000000",
           "endpoint_id": "whe_0000000000000000", "delivery_id": "999999",
           "notification_id": "ntf_0000000000000000", "chargeback_id": "cb_0000000000000000",
           "account": "seller_payable:usr_0000000000000000",
           "buyer_id": "usr_0000000000000000", "exclusion_id": "dex_0000000000000000"}  # fmt: skip
SECRET = "SECRET-7f3a9c"  # in the victims' description, message, tracking, file and names

BODIES: dict[str, dict[str, Any]] = {
    "/v1/orders/{order_id}/pay": {"payment_reference": "x"},
    "/v1/orders/{order_id}/cancel": {"reason": "r"},
    "/v1/orders/{order_id}/cancellation/approve": {},
    "/v1/orders/{order_id}/cancellation/reject": {"reason": "r"},
    "/v1/orders/{order_id}/ship": {"carrier": "DHL", "tracking_number": "X-1"},
    "/v1/orders/{order_id}/shipments": {
        "carrier": "DHL",
        "tracking_number": "X-1",
        "lines": [{"item_id": "li_x", "quantity": 1}],
    },
    "/v1/orders/{order_id}/confirm-receipt": {},
    "/v1/orders/{order_id}/protection-extensions": {"days": 2},
    "/v1/orders/{order_id}/protection-extensions/{extension_id}/approve": {},
    "/v1/orders/{order_id}/protection-extensions/{extension_id}/reject": {"reason": "r"},
    "/v1/orders/{order_id}/refunds": {"amount": "1.00", "reason": "r"},
    "/v1/orders/{order_id}/disputes": {
        "reason": "not_received",
        "item_received": False,
        "requested_refund": "1.00",
        "description": "d",
    },
    "/v1/sellers/{seller_id}/payouts": {"amount": "1.00", "currency": "USD"},
    "/v1/users/{user_id}/api-keys/rotate": {},
    "/v1/users/{user_id}/api-keys/revoke": {},
    "/v1/webhook-endpoints/{endpoint_id}/enable": {},
    "/v1/webhook-deliveries/{delivery_id}/redeliver": {},
    "/v1/disputes/{dispute_id}/accept": {},
    "/v1/disputes/{dispute_id}/offers": {"refund_amount": "1.00"},
    "/v1/disputes/{dispute_id}/reject": {"reason": "r"},
    "/v1/disputes/{dispute_id}/escalate": {},
    "/v1/disputes/{dispute_id}/withdraw": {},
    "/v1/disputes/{dispute_id}/evidence-requests": {"party": "seller", "note": "n"},
    "/v1/disputes/{dispute_id}/decision": {"outcome": "no_refund", "rationale": "r"},
    "/v1/disputes/{dispute_id}/appeal": {"reason": "r"},
    "/v1/disputes/{dispute_id}/appeal/decision": {"decision": "uphold", "rationale": "r"},
    "/v1/disputes/{dispute_id}/return-shipment": {"carrier": "UPS", "tracking_number": "R"},
    "/v1/disputes/{dispute_id}/return-received": {"condition": "as_sent"},
    "/v1/disputes/{dispute_id}/messages": {"body": "hello"},
    "/v1/disputes/{dispute_id}/evidence": {"file_id": "FILE", "note": "n"},
    "/v1/sandbox/orders/{order_id}/chargeback": {"reason": "fraudulent"},
    "/v1/sandbox/chargebacks/{chargeback_id}/close": {"outcome": "won"},
    "/v1/sellers/{seller_id}/standing/exclusions": {"order_id": "ORDER", "reason": "r"},
    "/v1/sellers/{seller_id}/standing/exclusions/{exclusion_id}/decision": {
        "accept": True,
        "note": "n",
    },
    "/v1/buyers/{buyer_id}/standing/clearances": {"signal": "claim_rate", "note": "n"},
    "/v1/disputes/{dispute_id}/used-return-report": {"condition": "used", "note": "n"},
    "/v1/disputes/{dispute_id}/used-return-report/decision": {"deduction": "0", "note": "n"},
    "/v1/sellers/{seller_id}/returnless-rules": {"max_price": {"USD": "5.00"}},
}
WITH_BODY = {"POST", "PUT"}
SMUGGLED = {"status": "refunded", "refund_amount": "999.00", "buyer_id": "usr_x",
            "role": "admin", "seller_id": "usr_y", "paid_amount": "0.00", "owner_id": "usr_z",
            "decided_by": "agent", "outcome": "full_refund"}  # fmt: skip


class Victims:
    def __init__(self, api: Api) -> None:
        self.api = api
        self.buyer, self.seller = api.user("buyer"), api.user("seller", "CN")
        self.other_buyer, self.other_seller = api.user("buyer", "FR"), api.user("seller", "US")
        b = self.buyer["api_key"]
        disputed = api.create_order(self.buyer, self.seller)["id"]
        api.pay(disputed)
        api.post(f"/v1/orders/{disputed}/ship", {"carrier": "DHL", "tracking_number": SECRET},
                 key=self.seller["api_key"])  # fmt: skip
        extended = api.ship(api.pay(api.create_order(self.buyer, self.seller)["id"])["id"],
                            self.seller)["id"]  # fmt: skip
        asked = api.post(f"/v1/orders/{extended}/protection-extensions", {"days": 3}, key=b)
        # An inquiry at the buyer's bank (it blocks nothing): the chargeback a stranger probes.
        inquiry = api.post(f"/v1/sandbox/orders/{extended}/chargeback",
                           {"reason": SECRET, "inquiry": True})  # fmt: skip
        assert inquiry.status_code == 201, inquiry.text
        refunded = api.pay(api.create_order(self.buyer, self.seller)["id"])["id"]
        assert api.post(f"/v1/orders/{refunded}/refunds", {"amount": "3.00", "reason": SECRET},
                        idem="v-refund").status_code == 201  # fmt: skip
        api.post("/v1/sandbox/clock/advance", {"days": 5})
        upload = api.client.post("/v1/files", data={"purpose": "dispute_evidence"},
                                 files={"file": (f"{SECRET}.txt", SECRET.encode(), "text/plain")},
                                 headers={"Authorization": f"Bearer {b}"})  # fmt: skip
        assert upload.status_code == 201, upload.text
        self.file_id = upload.json()["id"]
        opened = api.post(f"/v1/orders/{disputed}/disputes",
                          {"reason": "not_received", "item_received": False,
                           "requested_refund": "5.00", "description": SECRET,
                           "evidence_ids": [self.file_id]}, key=b)  # fmt: skip
        assert opened.status_code == 201, opened.text
        self.dispute_id = opened.json()["id"]
        api.post(f"/v1/disputes/{self.dispute_id}/messages", {"body": SECRET}, key=b)
        # The seller is told of the dispute: a message that is the victims' alone.
        told = api.get("/v1/notifications", params={"user_id": self.seller["id"]}).json()
        assert told["data"], "the seller was told of nothing"
        self.ids = {"order_id": disputed, "dispute_id": self.dispute_id, "file_id": self.file_id,
                    "extension_id": asked.json()["id"],
                    "seller_id": self.seller["id"], "user_id": self.buyer["id"],
                    "endpoint_id": UNKNOWN["endpoint_id"], "delivery_id": UNKNOWN["delivery_id"],
                    "notification_id": told["data"][0]["id"],
                    "chargeback_id": inquiry.json()["id"],
                    "account": f"seller_payable:{self.seller['id']}",
                    "buyer_id": self.buyer["id"],
                    "exclusion_id": UNKNOWN["exclusion_id"]}  # fmt: skip
        self.other_orders = {"order_id": extended, "refunded": refunded}
        # Everything that identifies the victims' objects besides the ids a prober sends.
        self.secrets = {SECRET, self.buyer["id"], self.seller["id"], self.buyer["email"],
                        upload.json()["sha256"]}  # fmt: skip


@pytest.fixture
def victims(api: Api) -> Victims:
    return Victims(api)


def _fill(template: str, ids: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], template)


def _probes(api: Api) -> list[tuple[str, str]]:
    paths = api.get("/openapi.json").json()["paths"]
    found = [(method.upper(), path) for path, ops in paths.items() if "{" in path
             for method in ops]  # fmt: skip
    missing = [p for m, p in found if m in WITH_BODY and p not in BODIES]
    assert missing == [], f"endpoints without an authorization probe: {missing}"
    return found


@pytest.mark.parametrize("who", ["other_buyer", "other_seller"])
def test_every_endpoint_answers_a_strangers_ids_as_unknown_ones(victims: Victims,
                                                                who: str) -> None:  # fmt: skip
    api, key = victims.api, getattr(victims, who)["api_key"]
    before = api.snapshot()
    probes = 0
    for method, template in _probes(api):
        body = BODIES.get(template)
        if body is not None and "file_id" in body:
            body = {**body, "file_id": victims.file_id}
        answers = []
        for ids in (victims.ids, UNKNOWN):
            path = _fill(template, ids)
            got = api.request(
                method,
                path,
                key=key,
                json_body=body if method in WITH_BODY else None,
                idem=f"probe-{probes}-{ids is UNKNOWN}" if method == "POST" else None,
                headers={"X-Request-Id": f"probe-{probes}"},  # the same ``instance``
            )
            text = got.text
            for value in ids.values():  # the ids the prober sent may be echoed back
                text = text.replace(value, "<id>")
            instance = got.json().get("instance") if got.status_code >= 400 else None
            if instance:  # the request's own id differs between any two requests
                text = text.replace(instance, "<request>")
            answers.append((got.status_code, text))
            leaked = [s for s in victims.secrets if s in text]
            assert leaked == [], f"{method} {path} leaked {leaked}: {got.text[:300]}"
        foreign, unknown = answers
        assert foreign[0] in (403, 404), (method, template, foreign)
        assert foreign == unknown, f"{method} {template}: {foreign} != {unknown}"
        probes += 1
    # The victim's file, named as evidence on the stranger's own dispute, is refused too.
    assert api.snapshot() == before, "a probe changed something"
    record("authorization_probes", who=who, endpoints=probes, requests=2 * probes)


def _owner_requests(v: Victims) -> list[tuple[str, str, dict[str, Any]]]:
    b, s = v.buyer["api_key"], v.seller["api_key"]
    o, d = v.ids["order_id"], v.dispute_id
    return [
        (b, f"/v1/orders/{o}/confirm-receipt", {}),
        (b, f"/v1/orders/{v.other_orders['order_id']}/protection-extensions", {"days": 2}),
        (s, f"/v1/orders/{v.other_orders['order_id']}/protection-extensions/"
            f"{v.ids['extension_id']}/approve", {}),
        (b, f"/v1/orders/{o}/cancel", {"reason": "r"}),
        (s, f"/v1/disputes/{d}/offers", {"refund_amount": "1.00"}),
        (s, f"/v1/disputes/{d}/accept", {}),
        (s, f"/v1/disputes/{d}/reject", {"reason": "r"}),
        (b, f"/v1/disputes/{d}/withdraw", {}),
        (b, f"/v1/disputes/{d}/messages", {"body": "hi"}),
        (b, f"/v1/disputes/{d}/evidence", {"file_id": v.file_id, "note": "n"}),
        ("pk_test", f"/v1/orders/{v.other_orders['refunded']}/refunds",
         {"amount": "1.00", "reason": "r"}),
        ("pk_test", "/v1/users", {"role": "buyer", "name": "n", "email": "n@x.io",
                                  "country": "DE"}),
        ("pk_test", "/v1/orders", v.api.order_body(v.buyer, v.seller)),
    ]  # fmt: skip


def test_mass_assignment_is_refused_and_changes_nothing(victims: Victims) -> None:
    api, tried = victims.api, 0
    before = api.snapshot()
    for key, path, body in _owner_requests(victims):
        for field, value in SMUGGLED.items():
            if field in body:
                continue
            got = api.post(path, {**body, field: value}, key=key, idem=f"m-{tried}")
            assert got.status_code == 422, (path, field, got.text)
            assert got.json()["code"] == "validation_error", got.text
            tried += 1
    assert api.snapshot() == before, "a smuggled field changed something"
    record("mass_assignment", requests=tried)
