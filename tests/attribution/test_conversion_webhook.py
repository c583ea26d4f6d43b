"""A sale on a lease with a click id is POSTed, signed, to the pool's ConversionUrl: a real
receiver on 127.0.0.1 checks the row and the X-Twilio-Signature."""

from __future__ import annotations

from twilio.request_validator import RequestValidator

from switchboard.attribution.services import arrivals, leasing, outcomes, pools
from switchboard.database import SCHEMA
from switchboard.kernel.clock import FakeClock
from switchboard.runtime import build_core
from switchboard.settings import Settings
from switchboard.store.memory import MemoryStore
from tests.callbacks.support import fast_settings, receiving


async def test_a_sale_with_a_click_id_is_posted_as_an_offline_conversion(clock: FakeClock) -> None:
    core = build_core(Settings(database_url="memory://"), store=MemoryStore(SCHEMA), clock=clock,
                      outbound=fast_settings())  # fmt: skip
    try:
        account, token = await core.accounts.create("Shop")
        async with receiving() as receiver:
            fields = pools.PoolFields("ads", fallback="+15550000000",
                                      conversion_url=receiver.url("conversions"))  # fmt: skip
            pool = await pools.create_pool(core.attribution, account.sid, fields, ["+15551000001"])
            await leasing.lease(core.attribution, pool, {"visitor": "v", "gclid": "G-1"})
            found = await arrivals.arrive(core.attribution, account.sid, "+15551000001", None)
            assert found is not None
            sale = outcomes.OutcomeFields("sale", "99.90", "EUR")
            await outcomes.record_outcome(core.attribution, account.sid, found.contact.sid, sale)
            [hit] = receiver.of("conversions")
            assert hit.form["click_id"] == "G-1" and hit.form["click_id_kind"] == "gclid"
            assert (hit.form["conversion_value"], hit.form["conversion_currency"]) == (
                "99.90",
                "EUR",
            )
            signed = hit.headers["x-twilio-signature"]
            assert RequestValidator(token).validate(hit.url, hit.form, signed)
    finally:
        await core.close()
