"""Digest function: records archived objects in a ledger and seals them into a signed Merkle digest chain."""
