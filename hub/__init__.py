"""The hub's core: models, contacts, patients and care plans, the encrypted log, CLI."""
