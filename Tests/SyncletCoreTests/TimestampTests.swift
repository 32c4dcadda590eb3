import Foundation
import SyncletCore
import Testing

@Suite("Timestamp")
struct TimestampTests {
    /// 2026-11-21T23:31:41.123Z in milliseconds since 1970.
    static let knownMilliseconds: Int64 = 1_795_303_901_123

    @Test("an offset that pushes an instant outside years 0000–9999 is refused; the edges round-trip")
    func yearRange() {
        #expect(Timestamp(rfc3339: "0000-01-01T00:00:00+23:59") == nil)
        #expect(Timestamp(rfc3339: "9999-12-31T23:59:59-23:59") == nil)
        #expect(Timestamp(rfc3339: "0000-01-01T00:00:00Z")?.rfc3339 == "0000-01-01T00:00:00.000Z")
        #expect(Timestamp(rfc3339: "9999-12-31T23:59:59.999Z")?.rfc3339 == "9999-12-31T23:59:59.999Z")
    }

    @Test("the epoch is written as 1970-01-01T00:00:00.000Z")
    func epoch() {
        #expect(Timestamp(millisecondsSince1970: 0).rfc3339 == "1970-01-01T00:00:00.000Z")
        #expect(Timestamp(millisecondsSince1970: 0).description == "1970-01-01T00:00:00.000Z")
    }

    @Test("known instants are written in RFC 3339 with milliseconds")
    func knownInstants() {
        #expect(Timestamp(millisecondsSince1970: Self.knownMilliseconds).rfc3339 == "2026-11-21T23:31:41.123Z")
        #expect(Timestamp(millisecondsSince1970: 1_795_397_501_123).rfc3339 == "2026-11-23T01:31:41.123Z")
        #expect(Timestamp(millisecondsSince1970: 951_782_400_000).rfc3339 == "2000-02-29T00:00:00.000Z")
        #expect(Timestamp(millisecondsSince1970: 1_000).rfc3339 == "1970-01-01T00:00:01.000Z")
        #expect(Timestamp(millisecondsSince1970: 86_399_999).rfc3339 == "1970-01-01T23:59:59.999Z")
    }

    @Test("instants before 1970 are written on the right day")
    func beforeEpoch() {
        #expect(Timestamp(millisecondsSince1970: -1).rfc3339 == "1969-12-31T23:59:59.999Z")
        #expect(Timestamp(millisecondsSince1970: -86_400_000).rfc3339 == "1969-12-31T00:00:00.000Z")
        #expect(Timestamp(millisecondsSince1970: -86_400_001).rfc3339 == "1969-12-30T23:59:59.999Z")
        #expect(Timestamp(millisecondsSince1970: -62_135_596_800_000).rfc3339 == "0001-01-01T00:00:00.000Z")
    }

    @Test("the known date parses to its milliseconds, as CivilDate computes them")
    func knownDateParses() {
        let days = CivilDate.toDays(year: 2026, month: 11, day: 21)
        let expected: Int64 = days * 86_400_000 + 23 * 3_600_000 + 31 * 60_000 + 41 * 1_000 + 123
        #expect(expected == Self.knownMilliseconds)
        #expect(Timestamp(rfc3339: "2026-11-21T23:31:41.123Z")?.millisecondsSince1970 == Self.knownMilliseconds)
    }

    @Test("offsets are subtracted to give UTC", arguments: [
        "2026-11-22T01:31:41.123+02:00",
        "2026-11-21T18:01:41.123-05:30",
        "2026-11-21T23:31:41.123+00:00",
        "2026-11-21T23:31:41.123-00:00",
        "2026-11-21t23:31:41.123z",
    ])
    func offsets(text: String) {
        #expect(Timestamp(rfc3339: text)?.millisecondsSince1970 == Self.knownMilliseconds)
    }

    @Test("fractions of 1, 3 and 6 digits, and none, give whole milliseconds")
    func fractions() {
        let base = Self.knownMilliseconds - 123
        #expect(Timestamp(rfc3339: "2026-11-21T23:31:41Z")?.millisecondsSince1970 == base)
        #expect(Timestamp(rfc3339: "2026-11-21T23:31:41.1Z")?.millisecondsSince1970 == base + 100)
        #expect(Timestamp(rfc3339: "2026-11-21T23:31:41.12Z")?.millisecondsSince1970 == base + 120)
        #expect(Timestamp(rfc3339: "2026-11-21T23:31:41.123Z")?.millisecondsSince1970 == base + 123)
        #expect(Timestamp(rfc3339: "2026-11-21T23:31:41.123456Z")?.millisecondsSince1970 == base + 123)
        #expect(Timestamp(rfc3339: "2026-11-21T23:31:41.999999+01:00")?.millisecondsSince1970 == base - 3_600_000 + 999)
    }

    @Test("leap days exist only in leap years")
    func leapDays() {
        #expect(Timestamp(rfc3339: "2024-02-29T00:00:00Z") != nil)
        #expect(Timestamp(rfc3339: "2000-02-29T00:00:00Z")?.millisecondsSince1970 == 951_782_400_000)
        #expect(Timestamp(rfc3339: "2025-02-29T00:00:00Z") == nil)
        #expect(Timestamp(rfc3339: "1900-02-29T00:00:00Z") == nil)
    }

    @Test("impossible or incomplete times are refused", arguments: [
        "2026-02-30T00:00:00Z",
        "2026-13-01T00:00:00Z",
        "2026-00-10T00:00:00Z",
        "2026-04-31T00:00:00Z",
        "2026-11-00T00:00:00Z",
        "2026-11-21T24:00:00Z",
        "2026-11-21T23:60:00Z",
        "2026-11-21T23:31:41",
        "2026-11-21T23:31:41.123",
        "2026-11-21T23:31:41.Z",
        "2026-11-21 23:31:41Z",
        "2026-11-21T23:31:41+0200",
        "2026-11-21T23:31:41+02:00Z",
        "2026-11-21T23:31:41Zjunk",
        "2026-11-21",
        "",
        "not a time at all, no",
    ])
    func refusals(text: String) {
        #expect(Timestamp(rfc3339: text) == nil)
    }

    @Test("writing and parsing round-trips for random instants from year 1 to 9999")
    func randomRoundTrip() throws {
        var random = SplitMix64(seed: 2026)
        for _ in 0..<20_000 {
            let ms = Int64.random(in: -62_135_596_800_000...253_402_300_799_999, using: &random)
            let text = Timestamp(millisecondsSince1970: ms).rfc3339
            #expect(text.count == 24, "\(text)")
            let parsed = try #require(Timestamp(rfc3339: text), "\(text)")
            #expect(parsed.millisecondsSince1970 == ms, "\(text)")
        }
    }

    @Test("a timestamp encodes to JSON as its RFC 3339 string and decodes back")
    func jsonRoundTrip() throws {
        let time = Timestamp(millisecondsSince1970: Self.knownMilliseconds)
        let data = try JSONEncoder().encode([time])
        #expect(String(decoding: data, as: UTF8.self) == "[\"2026-11-21T23:31:41.123Z\"]")
        #expect(try JSONDecoder().decode([Timestamp].self, from: data) == [time])
        #expect(throws: DecodingError.self) {
            _ = try JSONDecoder().decode([Timestamp].self, from: Data("[\"2026-02-30T00:00:00Z\"]".utf8))
        }
    }

    @Test("adding seconds and ordering")
    func addingAndOrdering() {
        let time = Timestamp(millisecondsSince1970: 1_000)
        #expect(time.adding(seconds: 60).millisecondsSince1970 == 61_000)
        #expect(time.adding(seconds: -1).millisecondsSince1970 == 0)
        #expect(time < time.adding(seconds: 1))
        #expect(!(time < time))
    }
}

@Suite("CivilDate")
struct CivilDateTests {
    @Test("known dates map to their day numbers")
    func knownDays() {
        #expect(CivilDate.toDays(year: 1970, month: 1, day: 1) == 0)
        #expect(CivilDate.toDays(year: 1969, month: 12, day: 31) == -1)
        #expect(CivilDate.toDays(year: 2000, month: 2, day: 29) == 11_016)
        #expect(CivilDate.toDays(year: 1600, month: 2, day: 29) == -135_081)
        #expect(CivilDate.toDays(year: 1, month: 1, day: 1) == -719_162)
        #expect(CivilDate.toDays(year: 9999, month: 12, day: 31) == 2_932_896)
        #expect(ymd(11_016) == [2000, 2, 29])
        #expect(ymd(-1) == [1969, 12, 31])
        #expect(ymd(-719_162) == [1, 1, 1])
        #expect(ymd(2_932_896) == [9999, 12, 31])
    }

    private func ymd(_ days: Int64) -> [Int64] {
        let date = CivilDate.fromDays(days)
        return [date.year, date.month, date.day]
    }

    @Test("days convert to dates and back over a wide range, including negative days")
    func roundTripWideRange() {
        for days in stride(from: Int64(-1_000_000), through: 3_000_000, by: 97) {
            let date = CivilDate.fromDays(days)
            #expect(CivilDate.toDays(year: date.year, month: date.month, day: date.day) == days, "day \(days)")
        }
    }

    @Test("consecutive days are consecutive calendar dates, with 29 February only in leap years")
    func consecutiveDays() {
        // 1582-10-16 … 2449-02-18: across 1600, 1700, 1800, 1900, 2000 and 2100.
        // Checked without an expectation per day (300 000 days), recording only what is wrong.
        var previous = CivilDate.fromDays(-141_427)
        var leapDaysSeen = 0
        var wrongDays = [Int64]()
        for days in Int64(-141_426)...175_000 {
            let date = CivilDate.fromDays(days)
            var right = CivilDate.toDays(year: date.year, month: date.month, day: date.day) == days
            if date.day == 1 {
                // The previous day ended its month, and the month (and maybe the year) moved on by one.
                right = right && previous.day == CivilDate.daysIn(month: previous.month, year: previous.year)
                if date.month == 1 {
                    right = right && previous.month == 12 && previous.year == date.year - 1
                } else {
                    right = right && previous.month == date.month - 1 && previous.year == date.year
                }
            } else {
                right = right && previous.year == date.year && previous.month == date.month && previous.day == date.day - 1
            }
            if date.month == 2 && date.day == 29 {
                leapDaysSeen += 1
                let year = date.year
                right = right && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0)
            }
            if !right { wrongDays.append(days) }
            previous = date
        }
        #expect(wrongDays.isEmpty, "first wrong days: \(wrongDays.prefix(5))")
        #expect(CivilDate.fromDays(-141_427).year == 1582)
        // 1583…2448: 217 multiples of 4, less 1700, 1800, 1900, 2100, 2200 and 2300 → 211.
        #expect(leapDaysSeen == 211)
    }

    @Test("daysIn gives month lengths and February by the Gregorian rule")
    func monthLengths() {
        #expect(CivilDate.daysIn(month: 1, year: 2026) == 31)
        #expect(CivilDate.daysIn(month: 4, year: 2026) == 30)
        #expect(CivilDate.daysIn(month: 2, year: 2026) == 28)
        #expect(CivilDate.daysIn(month: 2, year: 2024) == 29)
        #expect(CivilDate.daysIn(month: 2, year: 1900) == 28)
        #expect(CivilDate.daysIn(month: 2, year: 2000) == 29)
        #expect(CivilDate.daysIn(month: 12, year: 2026) == 31)
    }
}
