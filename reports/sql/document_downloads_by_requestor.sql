-- Document downloads by requestor: DOCUMENT_DOWNLOADED events per initiator and requestor, with distinct documents and the first and last download.
SELECT
    initiatorsystemcode,
    requestorid,
    count(*) AS downloads,
    count(DISTINCT documentid) AS documents,
    {{iso_time(min("timestamp"))}} AS first_download,
    {{iso_time(max("timestamp"))}} AS last_download
FROM {{events}}
WHERE eventtype = 'DOCUMENT_DOWNLOADED'
    AND {{where}}
GROUP BY initiatorsystemcode, requestorid
ORDER BY downloads DESC, initiatorsystemcode, requestorid
