# METADATA
# title: Time
# description: |
#   The request's time comes from `input.environment.now` (RFC 3339): WASM has no clock and
#   tests freeze it. Only the time built-ins the engine provides are used (capabilities.json).
# related_resources:
#   - ref: https://www.rfc-editor.org/rfc/rfc3339
#     description: RFC 3339, date and time on the Internet
package verdict.authz.clock

# METADATA
# title: Now
# description: |
#   The request's time in nanoseconds since the epoch; undefined when `now` is missing or
#   malformed, so every rule that needs it fails closed.
now_ns := parse(input.environment.now)

# METADATA
# title: Now, to the second
# description: |
#   now_ns cut down to the whole second: `now` without its fraction of a second (no `%` on
#   nanoseconds, which WASM computes slowly).
# scope: document
now_second_ns := ns if {
	ns := now_ns
	substring(input.environment.now, 19, 1) != "."
}

now_second_ns := parse(concat("", [substring(now, 0, 19), _zone(now)])) if {
	now_ns
	now := input.environment.now
	substring(now, 19, 1) == "."
}

_zone(text) := "Z" if endswith(text, "Z")

_zone(text) := substring(text, count(text) - 6, 6) if not endswith(text, "Z")

# METADATA
# title: Parse
# description: |
#   Nanoseconds since the epoch of an RFC 3339 timestamp with an optional fraction of a second
#   (up to nine digits) and a zone (2026-11-23T10:00:00Z, 2026-11-23T11:00:00.5+01:00), undefined
#   unless it is one: every field in range, the day in its month, the year in range, so no time
#   built-in is called on a value it would refuse (in WASM a refusal is an evaluation error, not
#   an undefined value).
parse(text) := time.parse_rfc3339_ns(text) if {
	is_string(text)
	_in_layout(text)
	_date_in_range(substring(text, 0, 10))
	_time_in_range(substring(text, 11, 8))
	_zone_in_range(text)
}

# The text has a timestamp's layout: digits where the layout has 0, and its other characters as
# they are. No regex: in WASM every regex.match compiles its pattern anew, on each evaluation.
# Once the layout holds, every field is a fixed number of digits, so fields compare as text as
# they do as numbers ("09" < "10").
_in_layout(text) if {
	layout := strings.replace_n(_digits_as_zero, text)
	startswith(layout, "0000-00-00T00:00:00")
	_fraction_and_zone(substring(layout, 19, -1))
}

_digits_as_zero := {"1": "0", "2": "0", "3": "0", "4": "0", "5": "0", "6": "0", "7": "0", "8": "0", "9": "0"}

# Z or an offset,
_fraction_and_zone("Z")

_fraction_and_zone("+00:00")

_fraction_and_zone("-00:00")

# after a point and one to nine digits.
_fraction_and_zone(layout) if {
	startswith(layout, ".0")
	fraction := trim_suffix(layout, _zone_layout(layout))
	count(fraction) <= 10
	trim_right(fraction, "0") == "."
}

_zone_layout(layout) := "Z" if endswith(layout, "Z")

_zone_layout(layout) := "+00:00" if endswith(layout, "+00:00")

_zone_layout(layout) := "-00:00" if endswith(layout, "-00:00")

# YYYY-MM-DD: a year from _first_year to _last_year, a month, a day of that month.
_date_in_range(date) if {
	year := substring(date, 0, 4)
	_first_year <= year
	year <= _last_year
	day := substring(date, 8, 2)
	"01" <= day
	_in_month(year, substring(date, 5, 2), day)
}

# The years a timestamp may fall in: int64 nanoseconds reach from 1677-09-21 to 2262-04-11, and
# the first year leaves room for `now` minus the longest agent age limit (agents.rego).
_first_year := "1800"

# METADATA
# title: Earliest
# description: The first instant parse accepts, 1800-01-01T00:00:00Z, in nanoseconds.
earliest_ns := -5364662400000000000

_last_year := "2261"

# Every month has 28 days, most more, and February 29 is in leap years only.
_in_month(year, month, day) if {
	"01" <= month
	month <= "12"
	day <= "28"
} else if {
	day <= _month_days[month]
} else if {
	month == "02"
	day == "29"
	_leap_year(to_number(year))
}

_month_days := {
	"01": "31", "02": "28", "03": "31", "04": "30", "05": "31", "06": "30",
	"07": "31", "08": "31", "09": "30", "10": "31", "11": "30", "12": "31",
}

_leap_year(year) if {
	year % 4 == 0
	year % 100 != 0
}

_leap_year(year) if year % 400 == 0

# hh:mm:ss within a day.
_time_in_range(hh_mm_ss) if {
	substring(hh_mm_ss, 0, 2) <= "23"
	substring(hh_mm_ss, 3, 2) <= "59"
	substring(hh_mm_ss, 6, 2) <= "59"
}

_zone_in_range(text) if endswith(text, "Z")

# +hh:mm or -hh:mm, less than a day.
_zone_in_range(text) if {
	offset := substring(text, count(text) - 5, 5)
	not endswith(text, "Z")
	substring(offset, 0, 2) <= "23"
	substring(offset, 3, 2) <= "59"
}

# METADATA
# title: Format
# description: An instant as an RFC 3339 timestamp in UTC, to the second (the fraction is dropped).
format(ns) := concat("", [
	format_int(year, 10), "-", _two_digits(month), "-", _two_digits(day),
	"T", _two_digits(hour), ":", _two_digits(minute), ":", _two_digits(second), "Z",
]) if {
	[year, month, day] := time.date(ns)
	[hour, minute, second] := time.clock(ns)
}

_two_digits(n) := concat("", ["0", format_int(n, 10)]) if n < 10

_two_digits(n) := format_int(n, 10) if n >= 10
