"""Offline and online verification of the signed digest chain (``scripts/verify.py``)."""
