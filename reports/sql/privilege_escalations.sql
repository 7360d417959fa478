-- Privilege escalations: every USER_ACCOUNT_PRIVILEGES_ESCALATED event, oldest first, with who escalated whom to which role.
SELECT
    {{iso_time("timestamp")}} AS event_time,
    initiatorsystemcode,
    requestorid,
    affecteduserid,
    rolename,
    requestorip,
    eventid
FROM {{events}}
WHERE eventtype = 'USER_ACCOUNT_PRIVILEGES_ESCALATED'
    AND {{where}}
ORDER BY "timestamp", eventid
