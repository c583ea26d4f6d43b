"""The channels' application services: addresses, inbound contacts, outbound replies."""
