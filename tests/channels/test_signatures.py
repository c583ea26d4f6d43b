"""Our `X-Twilio-Signature` check agrees with the twilio package's `RequestValidator`
(the reference implementation), which is a development dependency only."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from switchboard.channels.domain import signatures

TOKEN = "12345678901234567890123456789012"
hosts = st.sampled_from(["example.com", "sb.example.org", "127.0.0.1", "localhost"])
ports = st.sampled_from(["", ":80", ":443", ":8080"])
paths = st.sampled_from(["/v1/Channels/Sms/Inbound", "/v1/Channels/Voice/Inbound", "/"])
queries = st.sampled_from(["", "?a=1", "?x=%20y&b=2"])
forms = st.dictionaries(
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=12),
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40),
    max_size=8,
)


@given(st.sampled_from(["http", "https"]), hosts, ports, paths, queries, forms)
def test_it_signs_and_checks_as_twilio_does(
    scheme: str, host: str, port: str, path: str, query: str, form: dict[str, str]
) -> None:
    url = f"{scheme}://{host}{port}{path}{query}"
    reference = RequestValidator(TOKEN)
    ours = signatures.sign(TOKEN, url, form)
    assert ours == reference.compute_signature(url, form)
    assert signatures.is_valid(TOKEN, url, form, ours)
    # a signature over the URL with its default port written out (or left out) counts too
    for other in {url, url.replace(f"{host}{port}", f"{host}:443"), url.replace(port, "", 1)}:
        signed = reference.compute_signature(other, form)
        assert signatures.is_valid(TOKEN, url, form, signed) == reference.validate(
            url, form, signed
        )


def test_a_changed_form_a_changed_url_or_another_token_fails() -> None:
    url, form = "https://sb.example.org/v1/Channels/Sms/Inbound", {"Body": "hi", "From": "+1"}
    signature = signatures.sign(TOKEN, url, form)
    assert signatures.is_valid(TOKEN, url, form, signature)
    assert not signatures.is_valid(TOKEN, url, {**form, "Body": "hi!"}, signature)
    assert not signatures.is_valid(TOKEN, url + "?x=1", form, signature)
    assert not signatures.is_valid("another-token", url, form, signature)
    assert not signatures.is_valid(TOKEN, url, form, "")
