"""Audit as a Service: the Python SDK (`AuditClient`) and the `aaas` command line.

from aaas import AuditClient
with AuditClient(url, api_key) as audit:
    audit.post_event({...})                       # a client-side UUIDv7 eventid makes retries safe
    for event in audit.iter_events(initiatorsystemcode="CRM_WEB", requestorid="u-10442"):
        ...
"""

from aaas.client import AuditClient
from aaas.errors import ApiError, AuditError, ConfigError, ExportFailed, TransportError, WaitTimeout
from aaas.integrity import verify_archive_copy, verify_event
from aaas.models import ItemResult

__all__ = [
    "ApiError",
    "AuditClient",
    "AuditError",
    "ConfigError",
    "ExportFailed",
    "ItemResult",
    "TransportError",
    "WaitTimeout",
    "verify_archive_copy",
    "verify_event",
]
__version__ = "0.1.0"
