"""Export Lambda: POST /v1/exports and GET /v1/exports/{exportid}, and the worker that writes an export."""
