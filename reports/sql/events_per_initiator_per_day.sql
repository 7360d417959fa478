-- Events per initiator per day: every archived event counted by initiator and UTC day.
SELECT
    initiatorsystemcode,
    year || '-' || month || '-' || day AS event_day,
    count(*) AS events
FROM {{events}}
WHERE {{where}}
GROUP BY initiatorsystemcode, year, month, day
ORDER BY initiatorsystemcode, event_day
