"""Offline and online verification of the signed digest chain (`aaas verify`, `make verify`)."""
