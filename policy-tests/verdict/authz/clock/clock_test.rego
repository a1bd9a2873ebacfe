package verdict.authz.clock_test

import data.verdict.authz.clock

test_allow_now_in_nanoseconds if {
	clock.now_ns == 1795428000000000000 with input.environment.now as "2026-11-23T10:00:00Z"
	clock.now_ns == 1795428000000000000 with input.environment.now as "2026-11-23T11:00:00+01:00"
}

test_deny_malformed_now_is_undefined if {
	not clock.now_ns with input.environment.now as "2026-11-23 10:00"
	not clock.now_ns with input.environment.now as 1795428000
	not clock.now_ns with input.environment as {}
}

test_allow_format_pads_to_rfc3339 if {
	clock.format(clock.parse("2026-03-05T04:03:02.75+01:00")) == "2026-03-05T03:03:02Z"
	clock.format(clock.parse("2026-11-23T10:20:30Z")) == "2026-11-23T10:20:30Z"
}

test_allow_leap_days_of_leap_years if {
	clock.parse("2028-02-29T00:00:00Z") == 1835395200000000000
	clock.parse("2000-02-29T00:00:00Z") == 951782400000000000
}

test_deny_days_and_times_out_of_range_are_undefined if {
	not clock.parse("2026-02-29T00:00:00Z")
	not clock.parse("2100-02-29T00:00:00Z")
	not clock.parse("2026-04-31T00:00:00Z")
	not clock.parse("2026-13-01T00:00:00Z")
	not clock.parse("2026-11-00T00:00:00Z")
	not clock.parse("2026-11-23T24:00:00Z")
	not clock.parse("2026-11-23T10:60:00Z")
	not clock.parse("2026-11-23T10:00:60Z")
	not clock.parse("2026-11-23T10:00:00+24:00")
}

test_deny_years_outside_the_range_of_the_built_ins if {
	clock.parse("1800-01-01T00:00:00Z") == -5364662400000000000
	clock.parse("2261-12-31T23:59:59Z") == 9214646399000000000
	not clock.parse("1799-12-31T23:59:59Z")
	not clock.parse("0001-01-01T00:00:00Z")
	not clock.parse("2262-01-01T00:00:00Z")
}

test_allow_fractions_of_one_to_nine_digits_and_offsets_within_a_day if {
	clock.parse("2026-11-23T10:00:00.5Z") == 1795428000500000000
	clock.parse("2026-11-23T10:00:00.123456789Z") == 1795428000123456789
	clock.parse("2026-11-23T10:00:00-00:00") == 1795428000000000000
	clock.parse("2026-11-23T10:00:00+23:59") == 1795341660000000000
	clock.parse("2026-11-23T10:00:00.25-23:59") == 1795514340250000000
}

# What Go's time.Parse would take but RFC 3339 (and the policy) does not.
test_deny_layouts_other_than_rfc3339_are_undefined if {
	every text in [
		"2026-11-23T10:00:00.1234567891Z", # ten digits of a fraction
		"2026-11-23T10:00:00.Z",
		"2026-11-23T10:00:00,5Z",
		"2026-11-23T9:00:00Z",
		"2026-11-23t10:00:00Z",
		"2026-11-23T10:00:00z",
		"2026-11-23T10:00:00+01:60",
		"2026-11-23T10:00:00+0100",
		"2026-11-23T10:00Z",
		"2026-11-23T10:00:00",
		"2026-11-23",
		" 2026-11-23T10:00:00Z",
		"2026-11-23T10:00:00Z ",
		"2026-11-23T10:00:00Z\n",
		"+2026-11-23T10:00:00Z",
		"2026-11-23T10:00:00\u0665Z", # an Arabic-Indic digit
		"2026-11-23T10:00:0\uff10Z", # a fullwidth digit
		"",
	] {
		not clock.parse(text)
	}
}

test_allow_now_to_the_second_cuts_the_fraction_down if {
	clock.now_second_ns == 1795428000000000000 with input.environment.now as "2026-11-23T10:00:00.999999999Z"
	clock.now_second_ns == 1795428000000000000 with input.environment.now as "2026-11-23T10:00:00Z"
	clock.now_second_ns == -1000000000 with input.environment.now as "1969-12-31T23:59:59.5Z"
	clock.now_second_ns == -1000000000 with input.environment.now as "1969-12-31T23:59:59Z"
}

test_allow_earliest_is_the_first_instant_parse_accepts if {
	clock.earliest_ns == clock.parse("1800-01-01T00:00:00Z")
	not clock.parse("1799-12-31T23:59:59.999999999Z")
}
