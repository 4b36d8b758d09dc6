"""The domain layer: rules and transactions, no HTTP."""
