"""Channels: SMS, email, web chat and voice in and out, by carrier identifiers (issue 13).

Each channel is an adapter behind a port: inbound traffic is resolved to an
organization by the address it was sent to, and handed to the conversation desk (a
port the composition root implements with the conversations pillar); replies leave
through a provider adapter (Twilio's Messages API, SMTP) from the same address.
"""
