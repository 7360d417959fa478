#!/usr/bin/env python3
"""The Postman collection: built from docs/openapi.yaml plus the flows and tests below, and run by newman.

  postman.py build            write postman/aaas.postman_collection.json (committed; a test keeps it in step)
  postman.py env              write postman/local.postman_environment.json from the local stack's outputs
  postman.py run [--folder F] env, a sealed event for the proof request, then newman (make postman)

Every request is one OpenAPI operation (method, path, parameters and name come from the document;
an operationId that is not there fails the build). The flows add bodies, keys and tests on status
and body. Folders run in order; the search request loops on `next` with setNextRequest.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
OPENAPI = ROOT / "docs" / "openapi.yaml"
POSTMAN = ROOT / "postman"
COLLECTION = POSTMAN / "aaas.postman_collection.json"
LOCAL_ENVIRONMENT = POSTMAN / "local.postman_environment.json"
NEWMAN = ROOT / "node_modules" / ".bin" / "newman"
# The exports routes come with the export work (docs/helpers' contract); until they are merged the
# run selects the other folders. `make postman POSTMAN_FOLDERS=all` runs everything.
DEFAULT_FOLDERS = ("Write", "Read", "Integrity", "Exports")

JSON_HEADERS = [{"key": "Content-Type", "value": "application/json"}]


def load_operations() -> dict[str, tuple[str, str, str]]:
    """operationId -> (method, path, summary) of every operation in the OpenAPI document."""
    document = yaml.safe_load(OPENAPI.read_text())
    return {
        operation["operationId"]: (method, path, operation.get("summary", operation["operationId"]))
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "operationId" in operation
    }


def script(lines: str) -> list[str]:
    return [line for line in lines.strip("\n").splitlines()]


def request(
    operations: dict[str, tuple[str, str, str]],
    operation_id: str,
    name: str,
    *,
    key: str = "crmKey",
    body: str | None = None,
    content_type: str | None = "application/json",
    query: dict[str, str] | None = None,
    path_values: dict[str, str] | None = None,
    prerequest: str = "",
    tests: str,
) -> dict[str, Any]:
    """One collection item for an operation; unknown operationIds fail here."""
    if operation_id in operations:
        method, path, summary = operations[operation_id]
    else:
        raise SystemExit(f"postman.py: operation {operation_id} is not in {OPENAPI.name}")
    segments = [segment.replace("{", ":").replace("}", "") for segment in path.strip("/").split("/")]
    variables = [
        {"key": segment[1:], "value": (path_values or {})[segment[1:]]} for segment in segments if segment[0] == ":"
    ]
    url: dict[str, Any] = {
        "raw": "{{baseUrl}}/"
        + "/".join(segments)
        + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else ""),
        "host": ["{{baseUrl}}"],
        "path": segments,
    }
    if query:
        url["query"] = [{"key": k, "value": v} for k, v in query.items()]
    if variables:
        url["variable"] = variables
    headers = [{"key": "x-api-key", "value": "{{" + key + "}}"}] if key else []
    if body is not None and content_type:
        headers.append({"key": "Content-Type", "value": content_type})
    item: dict[str, Any] = {
        "name": name,
        "request": {
            "description": f"{summary} (operationId `{operation_id}`).",
            "method": method.upper(),
            "header": headers,
            "url": url,
        },
        "event": [{"listen": "test", "script": {"type": "text/javascript", "exec": script(tests)}}],
    }
    if body is not None:
        item["request"]["body"] = {"mode": "raw", "raw": body}
    if prerequest:
        item["event"].insert(
            0, {"listen": "prerequest", "script": {"type": "text/javascript", "exec": script(prerequest)}}
        )
    return item


# --- the JavaScript shared by the requests -------------------------------------------------------

COLLECTION_PREREQUEST = """
// One run id per run: every event of this run has a requestorid starting with it.
if (!pm.collectionVariables.get('runId')) {
  pm.collectionVariables.set('runId', 'pm-' + Date.now().toString(36) + '-' + Math.floor(Math.random() * 1e6).toString(36));
}
"""

EVENT_BUILDER = """
// A valid LOGIN_FAILED event of this run (examples/events/LOGIN_FAILED.json with fresh fields).
const event = (changes) => Object.assign({
  initiatorsystemcode: 'CRM_WEB', eventtype: 'LOGIN_FAILED', loginfailurecode: 'INCORRECT_PASSWORD',
  requestorid: pm.collectionVariables.get('runId') + '-u1', requestorip: '2001:db8::42',
  timestamp: Date.now() - 60000, devicetype: 'TABLET', loginmethod: 'PASSWORD'
}, changes || {});
"""

ERROR_CHECKS = """
const expectError = (status, errorcode) => {
  pm.test('status ' + status, () => pm.response.to.have.status(status));
  const body = pm.response.json();
  pm.test('errorcode ' + errorcode, () => pm.expect(body.errorcode).to.eql(errorcode));
  pm.test('a message says why', () => pm.expect(body.message).to.be.a('string').and.not.empty);
  return body;
};
const fieldsOf = (body) => body.errors.map((error) => error.field);
"""


def refused(status: int) -> str:
    """Tests of a refusal whose body is only known to carry a message."""
    return f"""
pm.test('status {status}', () => pm.response.to.have.status({status}));
pm.test('a message says why', () => pm.expect(pm.response.json().message).to.be.a('string').and.not.empty);
"""


def flows(operations: dict[str, tuple[str, str, str]]) -> list[dict[str, Any]]:
    def op(operation_id: str, name: str, **options: Any) -> dict[str, Any]:
        return request(operations, operation_id, name, **options)

    write = [
        op(
            "postEvent",
            "post one event: 201 with the client eventid",
            prerequest=EVENT_BUILDER
            + """
pm.collectionVariables.set('eventId', pm.variables.replaceIn('{{$guid}}'));
pm.collectionVariables.set('eventBody', JSON.stringify(event({eventid: pm.collectionVariables.get('eventId')})));
""",
            body="{{eventBody}}",
            tests="""
pm.test('status 201', () => pm.response.to.have.status(201));
const body = pm.response.json();
pm.test('the client eventid is kept', () => pm.expect(body.eventid).to.eql(pm.collectionVariables.get('eventId')));
pm.test('not a duplicate', () => pm.expect(body.duplicate).to.eql(false));
pm.test('receivedat is ISO 8601 UTC', () => pm.expect(body.receivedat).to.match(/^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z$/));
""",
        ),
        op(
            "postEvent",
            "post the same event again: 200 duplicate",
            body="{{eventBody}}",
            tests="""
pm.test('status 200', () => pm.response.to.have.status(200));
const body = pm.response.json();
pm.test('same eventid', () => pm.expect(body.eventid).to.eql(pm.collectionVariables.get('eventId')));
pm.test('duplicate: true', () => pm.expect(body.duplicate).to.eql(true));
""",
        ),
        op(
            "postEvent",
            "reuse the eventid for other content: 409",
            prerequest="""
const sent = JSON.parse(pm.collectionVariables.get('eventBody'));
sent.requestorip = '198.51.100.9';
pm.variables.set('changedBody', JSON.stringify(sent));
""",
            body="{{changedBody}}",
            tests=ERROR_CHECKS
            + """
const body = expectError(409, 'IdempotencyConflict');
pm.test('not retryable', () => pm.expect(body.retryable).to.eql(false));
""",
        ),
        op(
            "postEvent",
            "an invalid event: 400 lists every violation",
            prerequest=EVENT_BUILDER
            + """
pm.variables.set('invalidBody', JSON.stringify(event({requestorip: '10.0.0.256', loginfailurecode: undefined, eventtype: 'LOGIN_MAYBE', sourceip: '1.2.3.4'})));
""",
            body="{{invalidBody}}",
            tests=ERROR_CHECKS
            + """
const body = expectError(400, 'ValidationError');
pm.test('every violation is listed', () => pm.expect(fieldsOf(body)).to.include.members(['requestorip', 'eventtype', 'sourceip']));
pm.test('each with a message', () => body.errors.forEach((error) => pm.expect(error.message).to.be.a('string').and.not.empty));
""",
        ),
        op(
            "postEvent",
            "post another tenant's initiator: 403",
            prerequest=EVENT_BUILDER
            + """
pm.variables.set('foreignBody', JSON.stringify(event({initiatorsystemcode: 'ERP_WEB'})));
""",
            body="{{foreignBody}}",
            tests=ERROR_CHECKS
            + """
const body = expectError(403, 'Forbidden');
pm.test('names the initiator', () => pm.expect(body.message).to.include('ERP_WEB'));
""",
        ),
        op(
            "postEvent",
            "post with a read-only key: 403",
            key="auditorKey",
            prerequest=EVENT_BUILDER
            + """
pm.variables.set('auditorBody', JSON.stringify(event()));
""",
            body="{{auditorBody}}",
            tests="""
pm.test('status 403', () => pm.response.to.have.status(403));
pm.test('the write scope is missing', () => pm.expect(pm.response.json().message).to.include("'write' scope"));
""",
        ),
        op(
            "postEvent",
            "post without an API key: 403",
            key="",
            body="{}",
            tests=refused(403),
        ),
        op(
            "postEvent",
            "post text/plain: 415",
            body="{{eventBody}}",
            content_type="text/plain",
            tests="""
pm.test('status 415', () => pm.response.to.have.status(415));
pm.test('says which content type', () => pm.expect(pm.response.text()).to.include('application/json'));
""",
        ),
        op(
            "postEvent",
            "post a body over 128 KiB: 413",
            prerequest=EVENT_BUILDER
            + """
pm.variables.set('largeBody', JSON.stringify(event({details: {note: 'x'.repeat(140000)}})));
""",
            body="{{largeBody}}",
            tests="""
pm.test('status 413', () => pm.response.to.have.status(413));
pm.test('names the limit', () => pm.expect(pm.response.json().message).to.include('131072'));
""",
        ),
        op(
            "postEventBatch",
            "post a batch: 200, one item refused",
            prerequest=EVENT_BUILDER
            + """
const run = pm.collectionVariables.get('runId');
const events = [event({eventid: pm.variables.replaceIn('{{$guid}}'), timestamp: Date.now() - 50000}),
                event({eventid: pm.variables.replaceIn('{{$guid}}'), timestamp: Date.now() - 40000}),
                event({eventid: pm.variables.replaceIn('{{$guid}}'), requestorip: 'not-an-ip'})];
pm.collectionVariables.set('batchIds', JSON.stringify(events.slice(0, 2).map((e) => e.eventid)));
pm.variables.set('batchBody', JSON.stringify({events: events}));
""",
            body="{{batchBody}}",
            tests="""
pm.test('status 200', () => pm.response.to.have.status(200));
const body = pm.response.json();
const ids = JSON.parse(pm.collectionVariables.get('batchIds'));
pm.test('two stored, in order', () => pm.expect(body.successful.map((item) => [item.index, item.eventid])).to.eql([[0, ids[0]], [1, ids[1]]]));
pm.test('the third refused with its reason', () => {
  pm.expect(body.failed).to.have.length(1);
  pm.expect(body.failed[0]).to.include({index: 2, status: 400, errorcode: 'ValidationError', retryable: false});
  pm.expect(body.failed[0].errors.map((error) => error.field)).to.eql(['requestorip']);
});
""",
        ),
        op(
            "postEventBatch",
            "an empty batch with an unknown field: 400",
            body='{"events": [], "extra": 1}',
            tests="""
pm.test('status 400', () => pm.response.to.have.status(400));
const body = pm.response.json();
pm.test('both envelope problems are listed', () => pm.expect(body.errors.map((error) => error.field)).to.eql(['extra', 'events']));
""",
        ),
        op(
            "postEventBatch",
            "a batch over 4 MiB: 413",
            prerequest=EVENT_BUILDER
            + """
const big = event({details: {note: 'x'.repeat(1000)}});
pm.variables.set('hugeBody', JSON.stringify({events: Array(4400).fill(big)}));
""",
            body="{{hugeBody}}",
            tests="""
pm.test('status 413', () => pm.response.to.have.status(413));
pm.test('names the limit', () => pm.expect(pm.response.json().message).to.include('4194304'));
""",
        ),
        op(
            "postEvent",
            "the ERP client posts its own initiator: 201",
            key="erpKey",
            prerequest=EVENT_BUILDER
            + """
pm.collectionVariables.set('erpEventId', pm.variables.replaceIn('{{$guid}}'));
pm.variables.set('erpBody', JSON.stringify(event({initiatorsystemcode: 'ERP_WEB', eventid: pm.collectionVariables.get('erpEventId')})));
""",
            body="{{erpBody}}",
            tests="""
pm.test('status 201', () => pm.response.to.have.status(201));
pm.test('stored under its id', () => pm.expect(pm.response.json().eventid).to.eql(pm.collectionVariables.get('erpEventId')));
""",
        ),
    ]

    search_query = {"initiatorsystemcode": "CRM_WEB", "requestorid": "{{runId}}-u1", "limit": "1", "order": "asc"}
    read = [
        op(
            "getEvent",
            "get the event by id: 200, as archived",
            path_values={"eventid": "{{eventId}}"},
            tests="""
pm.test('status 200', () => pm.response.to.have.status(200));
const body = pm.response.json();
const sent = JSON.parse(pm.collectionVariables.get('eventBody'));
pm.test('every posted field as sent', () => Object.keys(sent).forEach((name) => pm.expect(body[name]).to.eql(sent[name])));
pm.test('server fields added', () => pm.expect(body).to.include.keys('receivedat', 'schemaversion', 'sourceip', 'apikeyid'));
pm.test('canonical JSON: keys sorted', () => pm.expect(Object.keys(JSON.parse(pm.response.text()))).to.eql(Object.keys(body).sort()));
""",
        ),
        op(
            "getEvent",
            "another tenant's event reads as unknown: 404",
            path_values={"eventid": "{{erpEventId}}"},
            tests=ERROR_CHECKS
            + """
expectError(404, 'NotFound');
""",
        ),
        op(
            "getEvent",
            "an unknown id: 404",
            path_values={"eventid": "00000000-0000-7000-8000-000000000000"},
            tests=ERROR_CHECKS
            + """
expectError(404, 'NotFound');
""",
        ),
        op(
            "getEvent",
            "read with a write-only key: 403",
            key="erpKey",
            path_values={"eventid": "{{erpEventId}}"},
            tests="""
pm.test('status 403', () => pm.response.to.have.status(403));
pm.test('the read scope is missing', () => pm.expect(pm.response.json().message).to.include("'read' scope"));
""",
        ),
        op(
            "searchEvents",
            "search this run's events, following next",
            query=search_query,
            prerequest="""
// Page 2 onwards: pass the previous page's next as cursor, with the same filter.
const cursor = pm.collectionVariables.get('cursor');
if (cursor) { pm.request.url.query.add({key: 'cursor', value: cursor}); }
""",
            tests="""
pm.test('status 200', () => pm.response.to.have.status(200));
const body = pm.response.json();
pm.test('a page of at most limit events', () => pm.expect(body.events.length).to.be.at.most(1));
const seen = JSON.parse(pm.collectionVariables.get('seen') || '[]').concat(body.events.map((e) => e.eventid));
pm.collectionVariables.set('seen', JSON.stringify(seen));
pm.collectionVariables.set('pages', Number(pm.collectionVariables.get('pages') || 0) + 1);
if (body.next) {
  pm.collectionVariables.set('cursor', body.next);
  pm.execution.setNextRequest(pm.info.requestName);  // loop: the next page
} else {
  pm.collectionVariables.unset('cursor');
  const expected = [pm.collectionVariables.get('eventId')].concat(JSON.parse(pm.collectionVariables.get('batchIds')));
  pm.test('every event exactly once, oldest first', () => pm.expect(seen).to.eql(expected));
  pm.test('one page per event, and a last page', () => pm.expect(Number(pm.collectionVariables.get('pages'))).to.be.within(3, 4));
}
""",
        ),
        op(
            "searchEvents",
            "a search with several mistakes: 400 lists every one",
            query={"requestorid": "a", "eventtype": "LOGIN_FAILED", "limit": "0", "from": "yesterday", "color": "red"},
            tests=ERROR_CHECKS
            + """
const body = expectError(400, 'InvalidQuery');
pm.test('every problem is listed', () => pm.expect(fieldsOf(body)).to.include.members(['limit', 'from', 'color']));
pm.test('at least four problems', () => pm.expect(body.errors.length).to.be.at.least(4));
""",
        ),
        op(
            "searchEvents",
            "search another tenant's initiator: 403",
            query={"initiatorsystemcode": "ERP_WEB"},
            tests=ERROR_CHECKS
            + """
expectError(403, 'Forbidden');
""",
        ),
        op(
            "searchEvents",
            "a tampered cursor: 400 CursorTampered",
            query={"initiatorsystemcode": "CRM_WEB", "cursor": "eyJ0YW1wZXJlZCI6dHJ1ZX0.AAAA"},
            tests=ERROR_CHECKS
            + """
expectError(400, 'CursorTampered');
""",
        ),
    ]

    integrity = [
        op(
            "getEventProof",
            "proof of a sealed event: 200",
            path_values={"eventid": "{{sealedEventId}}"},
            key="auditorKey",
            query={"initiatorsystemcode": "{{sealedInitiator}}"},
            tests="""
pm.test('status 200', () => pm.response.to.have.status(200));
const body = pm.response.json();
pm.test('format aaas-proof/1', () => pm.expect(body.format).to.eql('aaas-proof/1'));
pm.test('the event asked for', () => pm.expect(body.eventid).to.eql(pm.environment.get('sealedEventId') || pm.collectionVariables.get('sealedEventId')));
pm.test('a leaf inside the tree', () => pm.expect(body.leafindex).to.be.below(body.treesize));
pm.test('an audit path of SHA-256 hashes', () => body.auditpath.forEach((node) => pm.expect(node).to.match(/^[0-9a-f]{64}$/)));
pm.test('the signed digest and its signature', () => {
  const digest = JSON.parse(body.digest);
  pm.expect(body.digestkey).to.eql('digests/' + String(digest.sequence).padStart(12, '0') + '.json');
  pm.expect(digest.tree.size).to.eql(body.treesize);
  pm.expect(body.signature).to.match(/^[A-Za-z0-9+/]+=*$/);
});
pm.test('where the event line is', () => pm.expect(body.object).to.include.keys('key', 'versionid', 'line'));
""",
        ),
        op(
            "getEventProof",
            "proof of an event not sealed yet: 409",
            path_values={"eventid": "{{eventId}}"},
            tests="""
pm.test('status 409', () => pm.response.to.have.status(409));
const body = pm.response.json();
pm.test('NotArchivedYet or NotSealedYet', () => pm.expect(body.errorcode).to.be.oneOf(['NotArchivedYet', 'NotSealedYet']));
pm.test('retry later', () => pm.expect(body.message).to.be.a('string').and.not.empty);
""",
        ),
        op(
            "getEventProof",
            "proof of another tenant's event: 404",
            path_values={"eventid": "{{erpEventId}}"},
            tests=ERROR_CHECKS
            + """
expectError(404, 'NotFound');
""",
        ),
    ]

    exports = [
        op(
            "startExport",
            "create an export of this run: 202",
            key="crmKey",
            body='{"format": "ndjson", "initiatorsystemcode": "CRM_WEB", "requestorid": "{{runId}}-u1"}',
            tests="""
pm.test('status 202', () => pm.response.to.have.status(202));
const body = pm.response.json();
pm.test('an export id', () => pm.expect(body.exportid).to.match(/^[0-9a-f-]{36}$/));
pm.test('pending', () => pm.expect(body.status).to.eql('pending'));
pm.collectionVariables.set('exportId', body.exportid);
""",
        ),
        op(
            "getExport",
            "wait until the export is ready",
            path_values={"exportid": "{{exportId}}"},
            prerequest="""
// Poll: at most 60 attempts, 2 s apart.
const attempts = Number(pm.collectionVariables.get('exportPolls') || 0);
pm.collectionVariables.set('exportPolls', attempts + 1);
if (attempts > 0) { setTimeout(() => {}, 2000); }
""",
            tests="""
pm.test('status 200', () => pm.response.to.have.status(200));
const body = pm.response.json();
const polls = Number(pm.collectionVariables.get('exportPolls'));
if (body.status === 'pending' && polls < 60) {
  pm.execution.setNextRequest(pm.info.requestName);
} else {
  pm.test('ready', () => pm.expect(body.status).to.eql('ready'));
  pm.test('the filter and format asked for', () => { pm.expect(body.format).to.eql('ndjson'); pm.expect(body.filter.requestorid).to.eql(pm.collectionVariables.get('runId') + '-u1'); });
  pm.test('three rows', () => pm.expect(body.rowcount).to.eql(3));
  pm.test('download links and their expiry', () => { pm.expect(body.url).to.match(/^https?:/); pm.expect(body.manifesturl).to.match(/^https?:/); pm.expect(body.expiresat).to.be.a('string'); });
}
""",
        ),
        op(
            "getExport",
            "another client's export: 404",
            key="auditorKey",
            path_values={"exportid": "{{exportId}}"},
            tests=refused(404),
        ),
        op(
            "getExport",
            "an unknown export: 404",
            path_values={"exportid": "00000000-0000-4000-8000-000000000000"},
            tests=refused(404),
        ),
        op(
            "startExport",
            "an export request with several mistakes: 400 lists every one",
            body='{"format": "xml", "from": "yesterday", "requestorid": "a", "eventtype": "LOGIN_FAILED"}',
            tests=ERROR_CHECKS
            + """
const body = pm.response.json();
pm.test('status 400', () => pm.response.to.have.status(400));
pm.test('every problem is listed', () => pm.expect(fieldsOf(body)).to.include.members(['format', 'from']));
pm.test('at least three problems', () => pm.expect(body.errors.length).to.be.at.least(3));
""",
        ),
        op(
            "startExport",
            "export another tenant's initiator: 403",
            body='{"initiatorsystemcode": "ERP_WEB"}',
            tests=refused(403),
        ),
        op(
            "startExport",
            "create an export as text/plain: 415",
            body='{"format": "ndjson"}',
            content_type="text/plain",
            tests=refused(415),
        ),
    ]
    return [
        {"name": "Write", "description": "POST /v1/events and /v1/events/batch: stored, duplicate and every error.", "item": write},
        {"name": "Read", "description": "Get by id, search with paging, tenant boundaries.", "item": read},
        {"name": "Integrity", "description": "Proofs. `sealedEventId` is set by `make postman` (scripts/postman.py run).", "item": integrity},
        {"name": "Exports", "description": "POST /v1/exports and GET /v1/exports/{exportid} (the export contract).", "item": exports},
    ]  # fmt: skip


def build() -> dict[str, Any]:
    operations = load_operations()
    return {
        "info": {
            "name": "Audit as a Service",
            "description": "Generated by scripts/postman.py from docs/openapi.yaml. Import it with the "
            "environment postman/local.postman_environment.json (make postman-env) or postman/aws.postman_environment.json.",
            "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json",
        },
        "event": [
            {"listen": "prerequest", "script": {"type": "text/javascript", "exec": script(COLLECTION_PREREQUEST)}}
        ],
        "variable": [{"key": "runId", "value": ""}],
        "item": flows(operations),
    }


def dump(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def environment(name: str, values: dict[str, str]) -> dict[str, Any]:
    return {
        "name": name,
        "values": [
            {"key": key, "value": value, "type": "secret" if key.endswith("Key") else "default", "enabled": True}
            for key, value in values.items()
        ],
    }


def local_environment(outputs: dict[str, Any]) -> dict[str, Any]:
    keys = outputs["api_keys"]
    return environment(
        "Audit as a Service (local)",
        {
            "baseUrl": outputs["api_local_url"],
            "crmKey": keys["crm"],
            "erpKey": keys["erp"],
            "auditorKey": keys["auditor"],
        },
    )


def run(folders: list[str], outputs: dict[str, Any], report: Path | None) -> int:
    LOCAL_ENVIRONMENT.write_text(dump(local_environment(outputs)))
    import local_stack

    eventid, initiator = local_stack.sealed_event(outputs)
    command = [str(NEWMAN), "run", str(COLLECTION), "-e", str(LOCAL_ENVIRONMENT),
               "--env-var", f"sealedEventId={eventid}", "--env-var", f"sealedInitiator={initiator}",
               "--timeout-request", "120000", "--reporters", "cli,json",
               "--reporter-json-export", str(report or ROOT / ".local" / "newman.json")]  # fmt: skip
    for folder in folders:
        command += ["--folder", folder]
    return subprocess.run(command, check=False).returncode  # noqa: S603 - fixed argv


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("build", help="write the collection from docs/openapi.yaml")
    commands.add_parser("env", help="write the local environment from the local stack's Terraform outputs")
    runner = commands.add_parser("run", help="run the collection with newman against the local stack")
    runner.add_argument(
        "--folder", action="append", help=f"folders to run (default: {', '.join(DEFAULT_FOLDERS)}; 'all')"
    )
    runner.add_argument("--report", type=Path, help="newman's JSON report (default .local/newman.json)")
    args = parser.parse_args(argv)
    if args.command == "build":
        COLLECTION.write_text(dump(build()))
        print(f"wrote {COLLECTION.relative_to(ROOT)}")
        return 0
    from aaas.config import terraform_outputs
    from aaas.errors import ConfigError

    try:
        outputs = terraform_outputs(ROOT / "terraform")
    except ConfigError as exc:
        print(f"postman.py: error: {exc}", file=sys.stderr)
        return 2
    if args.command == "env":
        LOCAL_ENVIRONMENT.write_text(dump(local_environment(outputs)))
        print(f"wrote {LOCAL_ENVIRONMENT.relative_to(ROOT)}")
        return 0
    folders = args.folder or list(DEFAULT_FOLDERS)
    (ROOT / ".local").mkdir(exist_ok=True)
    return run([] if folders == ["all"] else folders, outputs, args.report)


if __name__ == "__main__":
    sys.exit(main())
