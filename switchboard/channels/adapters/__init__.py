"""The channels' provider adapters (Twilio's Messages API, ...)."""
