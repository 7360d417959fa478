-- Logins from new locations: successful logins from a (country, region, city) the requestor had not logged in from earlier in the period; each requestor's first located login in the period is the baseline.
WITH logins AS (
    SELECT
        initiatorsystemcode,
        requestorid,
        requestorip,
        eventid,
        "timestamp",
        location.country AS country,
        location.region AS region,
        location.city AS city
    FROM {{events}}
    WHERE eventtype = 'LOGIN_SUCCESSFUL'
        AND location IS NOT NULL
        AND {{where}}
),
ranked AS (
    SELECT
        *,
        row_number() OVER (
            PARTITION BY initiatorsystemcode, requestorid, country, region, city ORDER BY "timestamp", eventid
        ) AS place_seen,
        row_number() OVER (PARTITION BY initiatorsystemcode, requestorid ORDER BY "timestamp", eventid) AS login_number
    FROM logins
)
SELECT
    {{iso_time("timestamp")}} AS event_time,
    initiatorsystemcode,
    requestorid,
    country,
    region,
    city,
    requestorip,
    eventid
FROM ranked
WHERE place_seen = 1 AND login_number > 1
ORDER BY "timestamp", eventid
