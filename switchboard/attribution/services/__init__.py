"""The attribution pillar's application services: records in and out of the store."""
