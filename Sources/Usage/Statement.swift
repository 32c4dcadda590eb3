import Foundation
import SyncletCore

/// A composer's statement for a period: opening balance, the lines of usage earnings,
/// license sales, closing balance. Current to the last acknowledged event.
public struct Statement: Codable, Sendable, Equatable {
    public struct Line: Codable, Sendable, Equatable {
        public var assetID: String
        public var assetTitle: String
        public var template: String
        public var platform: String
        public var kind: String
        public var quantity: Int64
        public var grossMicros: Int64
        public var feeMicros: Int64
        public var shareMicros: Int64

        public init(assetID: String, assetTitle: String, template: String, platform: String, kind: String, quantity: Int64,
                    grossMicros: Int64, feeMicros: Int64, shareMicros: Int64) {
            self.assetID = assetID
            self.assetTitle = assetTitle
            self.template = template
            self.platform = platform
            self.kind = kind
            self.quantity = quantity
            self.grossMicros = grossMicros
            self.feeMicros = feeMicros
            self.shareMicros = shareMicros
        }

        enum CodingKeys: String, CodingKey {
            case template, platform, kind, quantity
            case assetID = "asset_id"
            case assetTitle = "asset_title"
            case grossMicros = "gross_micros"
            case feeMicros = "fee_micros"
            case shareMicros = "share_micros"
        }
    }

    /// A late event: booked in this period, though it happened in an earlier, sealed one.
    public struct Adjustment: Codable, Sendable, Equatable {
        public var eventID: String
        public var licenseID: String
        public var assetID: String
        public var originalPeriod: String
        public var occurredAt: Timestamp
        public var quantity: Int64
        public var chargedMicros: Int64
        /// On a reversal: the event it takes back (quantity and charge are then negative).
        public var reverses: String?

        public init(eventID: String, licenseID: String, assetID: String, originalPeriod: String, occurredAt: Timestamp,
                    quantity: Int64, chargedMicros: Int64) {
            self.eventID = eventID
            self.licenseID = licenseID
            self.assetID = assetID
            self.originalPeriod = originalPeriod
            self.occurredAt = occurredAt
            self.quantity = quantity
            self.chargedMicros = chargedMicros
        }

        enum CodingKeys: String, CodingKey {
            case quantity, reverses
            case eventID = "event_id"
            case licenseID = "license_id"
            case assetID = "asset_id"
            case originalPeriod = "original_period"
            case occurredAt = "occurred_at"
            case chargedMicros = "charged_micros"
        }
    }

    public var partyID: String
    public var partyName: String
    /// Late events in this statement's lines, each naming the sealed period it belongs to.
    public var adjustments: [Adjustment] = []
    public var period: String
    /// The zone the period's month is counted in (absent on statements sealed before it was recorded: UTC).
    public var timeZone: String?
    public var currency: String
    public var openingBalanceMicros: Int64
    public var lines: [Line]
    public var usageMicros: Int64
    public var licenseSalesMicros: Int64
    /// Paid out in this period (at its close).
    public var payoutsMicros: Int64
    public var closingBalanceMicros: Int64
    public var generatedAt: Timestamp
    /// Set on a sealed statement: the SHA-256 of its content as sealed.
    public var sealedSHA256: String?

    public init(partyID: String, partyName: String, period: String, currency: String, openingBalanceMicros: Int64, lines: [Line],
                usageMicros: Int64, licenseSalesMicros: Int64, payoutsMicros: Int64 = 0, closingBalanceMicros: Int64, generatedAt: Timestamp) {
        self.payoutsMicros = payoutsMicros
        self.partyID = partyID
        self.partyName = partyName
        self.period = period
        self.currency = currency
        self.openingBalanceMicros = openingBalanceMicros
        self.lines = lines
        self.usageMicros = usageMicros
        self.licenseSalesMicros = licenseSalesMicros
        self.closingBalanceMicros = closingBalanceMicros
        self.generatedAt = generatedAt
    }

    enum CodingKeys: String, CodingKey {
        case period, currency, lines, adjustments
        case timeZone = "time_zone"
        case partyID = "party_id"
        case partyName = "party_name"
        case openingBalanceMicros = "opening_balance_micros"
        case usageMicros = "usage_micros"
        case licenseSalesMicros = "license_sales_micros"
        case payoutsMicros = "payouts_micros"
        case sealedSHA256 = "sealed_sha256"
        case closingBalanceMicros = "closing_balance_micros"
        case generatedAt = "generated_at"
    }

    // MARK: Exports

    /// RFC 4180 CSV: a header row, then one row per line; amounts both as decimal strings
    /// and as micro-units, so a spreadsheet and a program both read them exactly.
    public var csv: String {
        var rows = [["period", "party_id", "asset_id", "asset_title", "template", "platform", "kind", "quantity",
                     "gross", "gross_micros", "fee", "fee_micros", "share", "share_micros", "currency"]]
        for line in lines {
            rows.append([period, partyID, line.assetID, Self.inertText(line.assetTitle), Self.inertText(line.template),
                         Self.inertText(line.platform), Self.inertText(line.kind), String(line.quantity),
                         Money(micros: line.grossMicros).decimal, String(line.grossMicros), Money(micros: line.feeMicros).decimal,
                         String(line.feeMicros), Money(micros: line.shareMicros).decimal, String(line.shareMicros), currency])
        }
        return rows.map { $0.map(Self.csvField).joined(separator: ",") }.joined(separator: "\r\n") + "\r\n"
    }

    /// Free text someone chose (a title, a platform a reporter named, a display name) that a
    /// spreadsheet would run as a formula is prefixed with an apostrophe: `=`, `+`, `-`, `@`,
    /// tab, CR or LF start one, also after leading spaces, and so do their full-width forms
    /// (＝ ＋ － ＠), which some spreadsheets fold to ASCII. Numbers the server wrote are not passed here.
    public static func inertText(_ text: String) -> String {
        guard let first = text.unicodeScalars.first(where: { $0 != " " }),
              "=+-@\t\r\n\u{FF1D}\u{FF0B}\u{FF0D}\u{FF20}".unicodeScalars.contains(first) else { return text }
        return "'" + text
    }

    /// A sum written into a report: the figure, or `overflow` (never a trap, never a wrong number).
    static func checkedTotal(_ values: [Int64]) -> String {
        var total: Int64 = 0
        for value in values {
            let (sum, overflow) = total.addingReportingOverflow(value)
            guard !overflow else { return "overflow" }
            total = sum
        }
        return String(total)
    }

    public static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// A tab-separated report inspired by the DDEX DSR flat-file layout (a HEAD, SY, AS,
    /// SU, FOOT subset); it is not a DDEX-compliant DSR.
    public var dsrTSV: String {
        func row(_ fields: [String]) -> String {
            fields.map { $0.replacingOccurrences(of: "\t", with: " ").replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "\r", with: " ") }
                .joined(separator: "\t")
        }
        var rows = [row(["HEAD", "SYNCLET-DSR-LIKE", "1.0", period, partyID, Self.inertText(partyName), currency, generatedAt.rfc3339])]
        rows.append(row(["SY", String(lines.count), Self.checkedTotal(lines.map(\.quantity)),
                         Self.checkedTotal(lines.map(\.grossMicros)), Self.checkedTotal(lines.map(\.shareMicros))]))
        var seen = Set<String>()
        for line in lines where seen.insert(line.assetID).inserted {
            rows.append(row(["AS", line.assetID, Self.inertText(line.assetTitle)]))
        }
        for line in lines {
            rows.append(row(["SU", line.assetID, Self.inertText(line.template), Self.inertText(line.platform), Self.inertText(line.kind), String(line.quantity),
                             String(line.grossMicros), String(line.feeMicros), String(line.shareMicros)]))
        }
        rows.append(row(["FOOT", String(rows.count + 1)]))
        return rows.joined(separator: "\n") + "\n"
    }

    /// The adjustments as a printable table, or nothing when there are none.
    func adjustmentsHTML(_ escape: (String) -> String) -> String {
        guard !adjustments.isEmpty else { return "" }
        let rows = adjustments.map { item in
            "<tr><td>\(escape(item.eventID))\(item.reverses.map { " (reverses \(escape($0)))" } ?? "")</td><td>\(escape(item.assetID))</td>"
                + "<td>\(escape(item.originalPeriod))</td><td>\(item.occurredAt.rfc3339)</td><td class=n>\(item.quantity)</td>"
                + "<td class=n>\(Money(micros: item.chargedMicros).decimal)</td></tr>"
        }.joined(separator: "\n")
        return """
            <h2>Adjustments for sealed periods</h2>
            <table><thead><tr><th>Event</th><th>Asset</th><th>Original period</th><th>Occurred</th><th class=n>Quantity</th><th class=n>Charged</th></tr></thead>
            <tbody>
            \(rows)
            </tbody></table>
            """
    }

    /// A printable page.
    public var html: String {
        func escape(_ text: String) -> String {
            text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
        }
        let body = lines.map { line in
            "<tr><td>\(escape(line.assetTitle))</td><td>\(escape(line.template))</td><td>\(escape(line.platform))</td><td>\(escape(line.kind))</td>"
                + "<td class=n>\(line.quantity)</td><td class=n>\(Money(micros: line.grossMicros).decimal)</td>"
                + "<td class=n>\(Money(micros: line.feeMicros).decimal)</td><td class=n>\(Money(micros: line.shareMicros).decimal)</td></tr>"
        }.joined(separator: "\n")
        return """
            <!doctype html><html lang="en"><head><meta charset="utf-8"><title>Statement \(escape(period)) — \(escape(partyName))</title>
            <style>body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left}.n{text-align:right;font-variant-numeric:tabular-nums}</style></head>
            <body><h1>Statement \(escape(period))</h1><p>\(escape(timeZone ?? "UTC")) calendar month · \(escape(partyName)) (\(escape(partyID))) · amounts in \(escape(currency)) · generated \(generatedAt.rfc3339)</p>
            <p>Opening balance <b>\(Money(micros: openingBalanceMicros).decimal)</b> · usage \(Money(micros: usageMicros).decimal) · license sales \(Money(micros: licenseSalesMicros).decimal) · paid out \(Money(micros: payoutsMicros).decimal) · closing balance <b>\(Money(micros: closingBalanceMicros).decimal)</b></p>
            <p>\(sealedSHA256.map { "Sealed; SHA-256 of the sealed content: <code>\(escape($0))</code>" } ?? "Open: current to the last acknowledged event; sealed when the period is closed.")</p>
            <table><thead><tr><th>Asset</th><th>Template</th><th>Platform</th><th>Kind</th><th class=n>Quantity</th><th class=n>Gross</th><th class=n>Platform fee</th><th class=n>Your share</th></tr></thead>
            <tbody>
            \(body)
            </tbody></table>\(adjustmentsHTML(escape))</body></html>
            """
    }
}
