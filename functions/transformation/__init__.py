"""Transformation function: Firehose data-transformation processor that re-validates every record."""
