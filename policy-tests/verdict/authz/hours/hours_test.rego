package verdict.authz.hours_test

import data.verdict.authz.hours
import data.verdict.config

_open_at(department, now) if {
	hours.open(department) with input.environment.now as now
}

test_allow_retail_opens_at_nine_berlin_time if {
	_open_at("retail", "2026-11-23T08:00:00Z")
	not _open_at("retail", "2026-11-23T07:59:59Z")
}

test_deny_retail_closes_at_five if {
	_open_at("retail", "2026-11-23T15:59:59Z")
	not _open_at("retail", "2026-11-23T16:00:00Z")
}

test_allow_summer_time_moves_the_opening_in_utc if {
	# Friday before the change (CET, +01:00) and Monday after it (CEST, +02:00).
	not _open_at("retail", "2026-03-27T07:59:59Z")
	_open_at("retail", "2026-03-27T08:00:00Z")
	not _open_at("retail", "2026-03-30T06:59:59Z")
	_open_at("retail", "2026-03-30T07:00:00Z")
}

test_allow_online_is_open_on_the_sunday_of_the_change if {
	# 2026-10-25: CEST ends at 03:00 local; 08:00 CET is 07:00Z.
	not _open_at("online", "2026-10-25T06:59:59Z")
	_open_at("online", "2026-10-25T07:00:00Z")
}

test_deny_weekends_and_unknown_departments if {
	not _open_at("retail", "2026-11-22T10:00:00Z")
	not _open_at("nowhere", "2026-11-23T10:00:00Z")
	not _open_at("retail", "not a time")
}

test_allow_default_department_is_a_department_with_hours if {
	config.departments[config.default_department].business_hours
}
