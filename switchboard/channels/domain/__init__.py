"""The channels' pure core: records, address normalisation, webhook parsing (no I/O)."""
