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
# title: Parse
# description: |
#   Nanoseconds since the epoch of an RFC 3339 timestamp with an optional fraction of a second
#   and a zone (2026-11-23T10:00:00Z), undefined unless it is one: every field in range, the day
#   in its month, the year in range, so no time built-in is called on a value it would refuse (in
#   WASM a refusal is an evaluation error, not an undefined value).
parse(text) := time.parse_rfc3339_ns(text) if {
	is_string(text)
	regex.match(`^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,9})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$`, text)
	[year, month, day] := [to_number(part) | some part in split(split(text, "T")[0], "-")]
	_first_year <= year
	year <= _last_year
	_in_month(year, month, day)
}

# The years a timestamp may fall in: int64 nanoseconds reach from 1677-09-21 to 2262-04-11, and
# the first year leaves room for `now` minus the longest agent age limit (agents.rego).
_first_year := 1800

_last_year := 2261

_month_days := [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

_in_month(_, month, day) if day <= _month_days[month - 1]

_in_month(year, 2, 29) if _leap_year(year)

_leap_year(year) if {
	year % 4 == 0
	year % 100 != 0
}

_leap_year(year) if year % 400 == 0

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
