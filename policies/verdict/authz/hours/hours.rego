# METADATA
# title: Business hours
# description: |
#   Whether a department is open at the request's time, on the wall clock of its IANA time zone
#   (policies/data/departments.yaml), daylight saving included: managers approve and reject only
#   then (policies/README.md, rule 4).
# related_resources:
#   - ref: https://www.iana.org/time-zones
#     description: IANA time zone database
package verdict.authz.hours

import data.verdict.authz.clock
import data.verdict.config

# METADATA
# title: Open
# description: |
#   The department (a name in data) is open now: from `open` (inclusive) to `close` (exclusive)
#   on the listed days. An unknown department is never open.
open(department) if {
	settings := config.departments[department]
	local := [clock.now_ns, settings.time_zone]
	time.weekday(local) in settings.business_hours.days
	[hour, minute, _] := time.clock(local)
	now := concat(":", [_two_digits(hour), _two_digits(minute)])
	settings.business_hours.open <= now
	now < settings.business_hours.close
}

# Open and close are HH:MM in data (the schema's pattern), so the wall clock's HH:MM compares with
# them as text as it does as a time: from the minute it opens, until the minute it closes.
_two_digits(n) := concat("", ["0", format_int(n, 10)]) if n < 10

_two_digits(n) := format_int(n, 10) if n >= 10
