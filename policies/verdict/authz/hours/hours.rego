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
	[hour, minute, second] := time.clock(local)
	now := (((hour * 60) + minute) * 60) + second
	_second_of_day(settings.business_hours.open) <= now
	now < _second_of_day(settings.business_hours.close)
}

# "09:30" → 34200
_second_of_day(hh_mm) := ((to_number(hour) * 60) + to_number(minute)) * 60 if {
	[hour, minute] := split(hh_mm, ":")
}
