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
#   (up to nine digits) and a zone (2026-11-23T10:00:00Z, 2026-11-23T11:00:00.5+01:00), undefined
#   unless it is one: every field in range, the day in its month, the year in range, so no time
#   built-in is called on a value it would refuse (in WASM a refusal is an evaluation error, not
#   an undefined value).
parse(text) := time.parse_rfc3339_ns(text) if {
	is_string(text)
	_in_layout(text)
	[year, month, day] := [to_number(part) | some part in split(substring(text, 0, 10), "-")]
	_first_year <= year
	year <= _last_year
	day >= 1
	_in_month(year, month, day)
	_time_in_range(substring(text, 11, 8))
	_zone_in_range(text)
}

# The text has a timestamp's layout: digits where the layout has 0, and its other characters as
# they are. No regex: in WASM every regex.match compiles its pattern anew, on each evaluation.
_in_layout(text) if {
	layout := strings.replace_n(_digits_as_zero, text)
	startswith(layout, "0000-00-00T00:00:00")
	some zone in ["Z", "+00:00", "-00:00"]
	endswith(layout, zone)
	trim_suffix(substring(layout, 19, -1), zone) in _fractions
}

_digits_as_zero := {"1": "0", "2": "0", "3": "0", "4": "0", "5": "0", "6": "0", "7": "0", "8": "0", "9": "0"}

# No fraction, or a point and one to nine digits.
_fractions := {"", ".0", ".00", ".000", ".0000", ".00000", ".000000", ".0000000", ".00000000", ".000000000"}

# hh:mm:ss within a day. The fields are two digits each (the layout), so they compare as text
# as they do as numbers.
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
