import Foundation
import SyncletCore
import Testing

@Suite("Limits: one table for flags, environment and README")
struct LimitsTests {
    /// Each stored property of `Limits` by label, as text, to see which one a setting moves.
    private func fields(_ limits: Limits) -> [String: String] {
        Dictionary(uniqueKeysWithValues: Mirror(reflecting: limits).children.map { ($0.label ?? "?", "\($0.value)") })
    }

    /// A value of `setting` other than its default, inside its range.
    private func otherValue(_ setting: LimitSetting) -> Int64 {
        setting.defaultValue < setting.range.upperBound ? setting.defaultValue + 1 : setting.range.lowerBound
    }

    @Test("every property of Limits has exactly one row in the table, and every row moves exactly one property")
    func tableCoversEveryProperty() {
        let defaults = fields(Limits())
        var covered = [String: String]()
        for setting in Limits.settings {
            var limits = Limits()
            setting.set(otherValue(setting), in: &limits)
            let changed = fields(limits).filter { defaults[$0.key] != $0.value }.map(\.key)
            #expect(changed.count == 1, "\(setting.name) changes \(changed), not exactly one property")
            for label in changed {
                #expect(covered[label] == nil, "\(label) is set by both \(covered[label] ?? "") and \(setting.name)")
                covered[label] = setting.name
            }
        }
        let missing = Set(defaults.keys).subtracting(covered.keys).sorted()
        #expect(missing.isEmpty, "Limits properties without a row in Limits.settings: \(missing)")
    }

    @Test("names and environment variables are unique and spelled one way")
    func namesAreUnique() {
        let names = Limits.settings.map(\.name)
        let environments = Limits.settings.map(\.environment)
        #expect(Set(names).count == names.count)
        #expect(Set(environments).count == environments.count)
        for setting in Limits.settings {
            let words = setting.name.split(separator: "-", omittingEmptySubsequences: false)
            #expect(words.allSatisfy { !$0.isEmpty && $0.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber) } },
                    "\(setting.name) is not lower-case words joined by hyphens")
            #expect(setting.environment == "SYNCLET_" + words.map { $0.uppercased() }.joined(separator: "_"))
            #expect(!setting.summary.contains("|"), "\(setting.name)'s summary would break the README table")
        }
    }

    @Test("the names of the older flags are kept, so --upload-max-bytes and its variable still work")
    func olderNamesKept() {
        #expect(Limits.setting(named: "upload-max-bytes")?.environment == "SYNCLET_UPLOAD_MAX_BYTES")
        #expect(Limits.setting(named: "upload-idle-seconds")?.environment == "SYNCLET_UPLOAD_IDLE_SECONDS")
        #expect(Limits.setting(named: "payout-threshold")?.environment == "SYNCLET_PAYOUT_THRESHOLD")
    }

    @Test("every limit round-trips: its text parses back to the value, set by flag or environment and read back")
    func everyLimitRoundTrips() throws {
        for setting in Limits.settings {
            #expect(setting.range.contains(setting.defaultValue), "\(setting.name)'s default is outside its range")
            let range = setting.range
            let middle = range.lowerBound + (range.upperBound - range.lowerBound) / 2
            for value in Set([range.lowerBound, setting.defaultValue, otherValue(setting), middle, range.upperBound]) {
                let text = setting.format(value)
                #expect(try setting.parse(text, from: "test") == value, "\(setting.name): '\(text)' does not read back as \(value)")
                var limits = Limits()
                setting.set(value, in: &limits)
                #expect(setting.value(in: limits) == value)

                // A page-size-default of 1 first keeps page-size-max's smallest values consistent.
                let floor = LimitAssignment(name: "page-size-default", value: "1", source: "test")
                let byFlag = try Limits.resolved(environment: [:], assignments: [floor, LimitAssignment(parsing: "\(setting.name)=\(text)")])
                #expect(setting.value(in: byFlag) == value, "--limit \(setting.name)=\(text)")
                var environment = ["SYNCLET_PAGE_SIZE_DEFAULT": "1"]
                environment[setting.environment] = text
                let byEnvironment = try Limits.resolved(environment: environment)
                #expect(setting.value(in: byEnvironment) == value, "\(setting.environment)=\(text)")
            }
        }
    }

    @Test("nothing set means the defaults; an empty variable counts as unset")
    func nothingSetMeansDefaults() throws {
        #expect(try Limits.resolved(environment: ["SYNCLET_HOST": "0.0.0.0", "PATH": "/bin"]) == Limits())
        #expect(try Limits.resolved(environment: ["SYNCLET_UPLOAD_MAX_BYTES": "", "SYNCLET_PACK_MAX_ENTRIES": " "]) == Limits())
    }

    static let unitCases: [(String, String, Int64)] = [
        ("upload-max-bytes", "4GiB", 4 << 30),
        ("upload-max-bytes", "4 GiB", 4 << 30),
        ("upload-max-bytes", "256kib", 256 << 10),
        ("upload-max-bytes", "8MB", 8_000_000),
        ("upload-max-bytes", "1_048_576", 1_048_576),
        ("json-body-max-bytes", "512KiB", 524_288),
        ("upload-idle-seconds", "2h", 7_200),
        ("upload-idle-seconds", "1d", 86_400),
        ("webhook-tolerance-seconds", "5m", 300),
        ("duration-tolerance-milliseconds", "2s", 2_000),
        ("duration-tolerance-milliseconds", "0", 0),
        ("payout-threshold", "25.50", 25_500_000),
        ("payout-threshold", "0", 0),
        ("usage-batch-max-events", " 5000 ", 5_000),
    ]

    @Test("sizes, durations and amounts are read with their units", arguments: unitCases)
    func unitsAreRead(name: String, text: String, expected: Int64) throws {
        let setting = try #require(Limits.setting(named: name))
        #expect(try setting.parse(text, from: "test") == expected)
    }

    @Test("the canonical text of a size uses the largest whole binary unit")
    func sizesAreWrittenReadably() throws {
        let bytes = try #require(Limits.setting(named: "upload-max-bytes"))
        #expect(bytes.format(4 << 30) == "4GiB")
        #expect(bytes.format(1_536) == "1536")
        #expect(bytes.format(3 << 10) == "3KiB")
        let amount = try #require(Limits.setting(named: "payout-threshold"))
        #expect(amount.format(25_500_000) == "25.5")
        #expect(amount.format(10_000_000) == "10")
    }

    @Test("a bad value is refused with the limit named, what it takes, and what was given")
    func badValuesAreRefused() throws {
        for setting in Limits.settings {
            var bad = ["abc", "", "-1", "1.5x", "12 parsecs", "99999999999999999999999"]
            if setting.range.lowerBound > 0 { bad.append(setting.format(setting.range.lowerBound - 1)) }
            if setting.range.upperBound < Int64.max { bad.append(setting.format(setting.range.upperBound + 1)) }
            for text in bad {
                let source = "--limit \(setting.name)"
                #expect(throws: LimitError.self, "\(setting.name)='\(text)' was accepted") { try setting.parse(text, from: source) }
                do {
                    _ = try Limits.resolved(environment: [:], assignments: [LimitAssignment(parsing: "\(setting.name)=\(text)")])
                    Issue.record("--limit \(setting.name)=\(text) was accepted")
                } catch {
                    let message = "\(error)"
                    #expect(message.hasPrefix("\(source) must be "), "\(message)")
                    #expect(message.contains(setting.kind.description), "\(message)")
                    #expect(message.hasSuffix("got '\(text)'."), "\(message)")
                }
                guard !text.isEmpty else { continue }  // an empty variable counts as unset
                do {
                    _ = try Limits.resolved(environment: [setting.environment: text])
                    Issue.record("\(setting.environment)=\(text) was accepted")
                } catch {
                    #expect("\(error)".hasPrefix("\(setting.environment) must be "), "\(error)")
                }
            }
        }
    }

    @Test("the message for a count is the one an operator can act on")
    func countMessage() throws {
        let setting = try #require(Limits.setting(named: "usage-batch-max-events"))
        #expect(throws: LimitError("--limit usage-batch-max-events must be a whole number, at least 1; got 'abc'.")) {
            try setting.parse("abc", from: "--limit usage-batch-max-events")
        }
        let channels = try #require(Limits.setting(named: "license-max-channels"))
        #expect(throws: LimitError("--limit license-max-channels must be a whole number, from 1 to 50 (openapi.json promises it to clients, so it can be lowered but not raised); got '51'.")) {
            try channels.parse("51", from: "--limit license-max-channels")
        }
    }

    @Test("a flag wins over the environment, and a later flag over an earlier one")
    func flagWinsOverEnvironment() throws {
        let environment = ["SYNCLET_UPLOAD_MAX_BYTES": "1MiB", "SYNCLET_PACK_MAX_ENTRIES": "10"]
        let fromEnvironment = try Limits.resolved(environment: environment)
        #expect(fromEnvironment.uploadByteCountMax == 1 << 20)
        #expect(fromEnvironment.packEntryCountMax == 10)
        let fromFlags = try Limits.resolved(environment: environment, assignments: [
            LimitAssignment(name: "upload-max-bytes", value: "2MiB", source: "--upload-max-bytes"),
            try LimitAssignment(parsing: "upload-max-bytes=3MiB"),
        ])
        #expect(fromFlags.uploadByteCountMax == 3 << 20)
        #expect(fromFlags.packEntryCountMax == 10)
    }

    @Test("an unknown name is refused with the name that was probably meant", arguments: [
        ("usage-batch-events-max", "usage-batch-max-events"),
        ("SYNCLET_PACK_MAX_ENTRIES", "pack-max-entries"),
        ("pack-max-entrys", "pack-max-entries"),
    ])
    func unknownName(given: String, meant: String) throws {
        do {
            _ = try Limits.resolved(environment: [:], assignments: [LimitAssignment(parsing: "\(given)=5")])
            Issue.record("\(given) was accepted")
        } catch {
            let message = "\(error)"
            #expect(message.contains("no limit named '\(given)'"), "\(message)")
            #expect(message.contains("Did you mean \(meant)?"), "\(message)")
            #expect(message.contains("--list-limits"), "\(message)")
        }
    }

    @Test("an unknown name far from every limit gets no guess")
    func unknownNameWithoutGuess() throws {
        do {
            _ = try Limits.resolved(environment: [:], assignments: [LimitAssignment(parsing: "colour=blue")])
            Issue.record("colour was accepted")
        } catch {
            #expect(!"\(error)".contains("Did you mean"), "\(error)")
        }
    }

    @Test("--limit without NAME=VALUE is refused with an example", arguments: ["upload-max-bytes", "=5", ""])
    func malformedAssignment(argument: String) {
        #expect(throws: LimitError("--limit takes NAME=VALUE, e.g. --limit usage-batch-max-events=5000; got '\(argument)'.")) {
            try LimitAssignment(parsing: argument)
        }
    }

    @Test("a default page size above the largest page size is refused, whichever way they were set")
    func pageSizesMustAgree() {
        #expect(throws: LimitError.self) {
            try Limits.resolved(environment: ["SYNCLET_PAGE_SIZE_MAX": "20"])
        }
        #expect(throws: LimitError.self) {
            try Limits.resolved(environment: [:], assignments: [try LimitAssignment(parsing: "page-size-default=501")])
        }
        #expect((try? Limits.resolved(environment: ["SYNCLET_PAGE_SIZE_MAX": "20", "SYNCLET_PAGE_SIZE_DEFAULT": "20"]))?.pageSizeMax == 20)
    }

    // MARK: README

    /// The README's Limits section: from its heading to the next heading.
    private func readmeLimitsSection() throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let start = try #require(readme.range(of: "\n### Limits\n"), "README.md has no '### Limits' section")
        let rest = readme[start.upperBound...]
        let end = ["\n## ", "\n### "].compactMap { rest.range(of: $0)?.lowerBound }.min() ?? rest.endIndex
        return String(rest[..<end])
    }

    @Test("the README lists every limit with its variable, default and meaning, exactly as the table has it")
    func readmeListsEveryLimit() throws {
        let section = try readmeLimitsSection()
        #expect(section.contains(LimitSetting.readmeHeader), "README's Limits table needs this header:\n\(LimitSetting.readmeHeader)")
        let lines = Set(section.split(separator: "\n").map(String.init))
        for setting in Limits.settings {
            #expect(lines.contains(setting.readmeRow),
                    "README.md, section Limits, needs this row (`synclet serve --list-limits --markdown` prints them all):\n\(setting.readmeRow)")
        }
    }

    @Test("the README lists no limit that does not exist")
    func readmeListsNothingStale() throws {
        let rows = Set(Limits.settings.map(\.readmeRow))
        let listed = try readmeLimitsSection().split(separator: "\n").map(String.init).filter { $0.hasPrefix("| `") }
        for line in listed where !line.hasPrefix("| `--limit`") {
            #expect(rows.contains(line), "README.md, section Limits, has a row that matches no limit:\n\(line)")
        }
        #expect(listed.count == Limits.settings.count + 1, "one header and one row per limit")
    }
}
