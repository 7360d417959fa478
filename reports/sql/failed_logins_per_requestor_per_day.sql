-- Failed logins per requestor per day: LOGIN_FAILED events counted by UTC day, initiator and requestor.
SELECT
    year || '-' || month || '-' || day AS event_day,
    initiatorsystemcode,
    requestorid,
    count(*) AS failed_logins
FROM {{events}}
WHERE eventtype = 'LOGIN_FAILED'
    AND {{where}}
GROUP BY year, month, day, initiatorsystemcode, requestorid
ORDER BY event_day, failed_logins DESC, initiatorsystemcode, requestorid
