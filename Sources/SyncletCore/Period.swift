import Foundation

/// A calendar month, `YYYY-MM`, the unit of statements and period closes. Which instants a
/// period holds depends on the deployment's time zone: ask a `PeriodCalendar`.
public struct Period: Hashable, Comparable, Sendable, CustomStringConvertible, Codable {
    public let year: Int64
    public let month: Int64

    public init?(_ text: String) {
        let parts = text.split(separator: "-")
        guard parts.count == 2, parts[0].count == 4, parts[1].count == 2, let year = Int64(parts[0]), let month = Int64(parts[1]),
              (1...12).contains(month), (1970...9999).contains(year) else { return nil }
        self.year = year
        self.month = month
    }

    public init(year: Int64, month: Int64) {
        precondition((1...12).contains(month), "a month is 1 to 12")
        self.year = year
        self.month = month
    }

    public var description: String { "\(year)-\(month < 10 ? "0" : "")\(month)" }
    public var next: Period { month == 12 ? Period(year: year + 1, month: 1) : Period(year: year, month: month + 1) }
    public var previous: Period { month == 1 ? Period(year: year - 1, month: 12) : Period(year: year, month: month - 1) }

    public static func < (lhs: Period, rhs: Period) -> Bool { (lhs.year, lhs.month) < (rhs.year, rhs.month) }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        guard let period = Period(try container.decode(String.self)) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a YYYY-MM period")
        }
        self = period
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// Calendar months in one time zone: which period an instant falls in, and when a period
/// starts. The books of a data folder are kept in one zone for their whole life (the
/// server records it on first start and refuses another), so a period never changes shape.
public struct PeriodCalendar: Sendable, Equatable {
    /// An IANA zone name such as `UTC` or `Europe/Berlin`.
    public let timeZoneIdentifier: String
    /// nil for UTC, which needs no tables and is the common case.
    private let calendar: Calendar?

    public static let utc = PeriodCalendar(utc: ())

    private init(utc: Void) {
        timeZoneIdentifier = "UTC"
        calendar = nil
    }

    /// nil when the zone is not a known IANA name.
    public init?(timeZone identifier: String) {
        if identifier == "UTC" || identifier == "Etc/UTC" {
            self = .utc
            return
        }
        // Only IANA names: abbreviations such as "CET" or "EST" are ambiguous.
        guard identifier.contains("/"), let zone = TimeZone(identifier: identifier) else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        self.timeZoneIdentifier = identifier
        self.calendar = calendar
    }

    public static func == (lhs: PeriodCalendar, rhs: PeriodCalendar) -> Bool { lhs.timeZoneIdentifier == rhs.timeZoneIdentifier }

    /// The period `time` falls in.
    public func period(containing time: Timestamp) -> Period {
        guard let calendar else {
            let milliseconds = time.millisecondsSince1970
            let days = milliseconds >= 0 ? milliseconds / 86_400_000 : (milliseconds - 86_399_999) / 86_400_000
            let (year, month, _) = CivilDate.fromDays(days)
            return Period(year: year, month: month)
        }
        let date = Date(timeIntervalSince1970: Double(time.millisecondsSince1970) / 1000)
        let parts = calendar.dateComponents([.year, .month], from: date)
        return Period(year: Int64(parts.year!), month: Int64(parts.month!))
    }

    /// The first instant of `period`: local midnight of its first day.
    public func start(of period: Period) -> Timestamp {
        guard let calendar else {
            return Timestamp(millisecondsSince1970: CivilDate.toDays(year: period.year, month: period.month, day: 1) * 86_400_000)
        }
        let date = calendar.date(from: DateComponents(year: Int(period.year), month: Int(period.month), day: 1))!
        return Timestamp(millisecondsSince1970: Int64((date.timeIntervalSince1970 * 1000).rounded()))
    }

    /// The start of the period `time` falls in (where "this month's" spending begins).
    public func startOfPeriod(containing time: Timestamp) -> Timestamp { start(of: period(containing: time)) }

    /// The instants of `period`: from its start, up to (not including) the next one's.
    public func range(of period: Period) -> Range<Timestamp> { start(of: period)..<start(of: period.next) }
}
