import Foundation
import Licensing
import SyncletCore
import Testing

/// The repository's Licenses/ folder, found from this file's path.
let licensesFolder: String = {
    var url = URL(fileURLWithPath: #filePath)
    while url.path != "/" {
        url.deleteLastPathComponent()
        let candidate = url.appendingPathComponent("Licenses").path
        if FileManager.default.fileExists(atPath: candidate + "/README.md") { return candidate }
    }
    fatalError("Licenses/ not found above \(#filePath)")
}()

let ordinaryUse = IntendedUse(platform: "tiktok", media: .shortForm, clipSeconds: 30, expectedViews: 50_000, termDays: 90,
                              territory: "DE", monetized: true, paidAds: false)

@Suite("License templates, envelopes, quotes and charges")
struct LicensingTests {
    @Test("the shipped templates load, with their terms and a SHA-256 of them")
    func shippedTemplatesLoad() throws {
        let catalog = try TemplateCatalog.load(directory: licensesFolder)
        #expect(catalog.templates.map(\.id) == ["commercial-ads", "creator-standard", "social-clip", "subscription-pool"])
        for template in catalog.templates {
            #expect(template.termsSHA256.count == 64)
            #expect(template.terms.contains("#"))
        }
    }

    @Test("the templates built into the binary are Licenses/ as it is: every file, byte for byte the same terms")
    func builtInTemplatesAreLicensesFolder() throws {
        let onDisk = try FileManager.default.contentsOfDirectory(atPath: licensesFolder)
            .filter { $0.hasSuffix(".json") || ($0.hasSuffix(".md") && $0 != "README.md") }.sorted()
        #expect(TemplateCatalog.builtInFileNames == onDisk)
        let builtIn = try TemplateCatalog.builtIn()
        let folder = try TemplateCatalog.load(directory: licensesFolder)
        #expect(builtIn.templates.map(\.id) == folder.templates.map(\.id))
        #expect(builtIn.templates.map(\.termsSHA256) == folder.templates.map(\.termsSHA256))
        #expect(builtIn.templates.map(\.reference) == folder.templates.map(\.reference))
    }

    @Test("an invalid template is refused with its file and field named")
    func invalidTemplate() throws {
        let folder = NSTemporaryDirectory() + "templates-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var json = try String(contentsOfFile: licensesFolder + "/social-clip.json", encoding: .utf8)
        json = json.replacingOccurrences(of: "\"max_clip_seconds\": 60", with: "\"max_clip_seconds\": -5")
        try json.write(toFile: folder + "/social-clip.json", atomically: true, encoding: .utf8)
        try "# Terms".write(toFile: folder + "/social-clip.md", atomically: true, encoding: .utf8)
        let error = #expect(throws: TemplateCatalog.InvalidTemplate.self) { try TemplateCatalog.load(directory: folder) }
        #expect(error?.file == "social-clip.json")
        #expect(error?.field == "envelope.max_clip_seconds")

        try "{\"id\": \"social-clip\"}".write(toFile: folder + "/social-clip.json", atomically: true, encoding: .utf8)
        let missing = #expect(throws: TemplateCatalog.InvalidTemplate.self) { try TemplateCatalog.load(directory: folder) }
        #expect(missing?.field == "version")
    }

    @Test("an envelope names every limit a use breaks")
    func envelopeViolations() throws {
        let catalog = try TemplateCatalog.load(directory: licensesFolder)
        let social = try #require(catalog.template("social-clip"))
        #expect(social.envelope.violations(of: ordinaryUse).isEmpty)
        var big = ordinaryUse
        big.expectedViews = 2_000_000
        big.clipSeconds = 90
        big.paidAds = true
        big.media = .longForm
        #expect(social.envelope.violations(of: big).map(\.limit) == ["media", "max_clip_seconds", "max_views", "paid_ads"])
    }

    @Test("a quote lists covering templates cheapest first, then the others with the limits they break")
    func quoteOrder() throws {
        let catalog = try TemplateCatalog.load(directory: licensesFolder)
        let options = try catalog.quote(ordinaryUse)
        // 50,000 views and one production: the clip 4.99, the standard 19 + 5.00, ads 149 + 25.00;
        // the pool (0.25 a production) has a 30-day term that does not cover a 90-day use, so
        // it comes last with that limit named.
        #expect(options.map(\.template) == ["social-clip", "creator-standard", "commercial-ads", "subscription-pool"])
        #expect(options.map(\.estimatedMicros) == [4_990_000, 24_000_000, 174_000_000, 250_000])
        #expect(options.last?.violations.map(\.limit) == ["term_days"])
        #expect(options.prefix(while: \.covers).map(\.estimatedMicros) == options.prefix(while: \.covers).map(\.estimatedMicros).sorted())
        var ad = ordinaryUse
        ad.paidAds = true
        ad.media = .ad
        let adOptions = try catalog.quote(ad)
        #expect(adOptions.first?.template == "commercial-ads")
        #expect(adOptions.first?.covers == true)
        #expect(adOptions.dropFirst().allSatisfy { !$0.covers && !$0.violations.isEmpty })
    }

    @Test("a price splits into the platform fee and exact shares, for any price, fee and splits")
    func chargeSplitsExactly() throws {
        var random = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let count = Int.random(in: 1...6, using: &random)
            var remaining = Splits.wholeBasisPoints
            var shares = [SplitShare]()
            for index in 0..<count {
                let points = index == count - 1 ? remaining : Int.random(in: 1...(remaining - (count - 1 - index)), using: &random)
                remaining -= points
                shares.append(SplitShare(partyID: PartyID.make(millisecondsSince1970: Int64(index), random: &random), basisPoints: points))
            }
            let splits = try Splits(validating: shares)
            let price = Int64.random(in: 0...1_000_000_000_000, using: &random)
            let fee = Int.random(in: 0...10_000, using: &random)
            let charge = ChargeSplit(priceMicros: price, feeBasisPoints: fee, splits: splits)
            #expect(charge.feeMicros + charge.shares.reduce(0) { $0 + $1.amount } == price)
            #expect(charge.feeMicros == price * Int64(fee) / 10_000 || price > Int64.max / 10_000)
            #expect(charge.shares.allSatisfy { $0.amount >= 0 })
        }
    }

    @Test("license codes are short, unambiguous and survive retyping")
    func licenseCodes() {
        let code = LicenseCode.make(randomBytes: [1, 2, 3, 4, 5, 6, 7, 8])
        #expect(code.count == 18)
        #expect(code.hasPrefix("SYN-"))
        #expect(LicenseCode.normalize(code) == code)
        #expect(LicenseCode.normalize(code.lowercased().replacingOccurrences(of: "-", with: " ")) == code)
        #expect(LicenseCode.normalize("SYN-1234") == nil)
        #expect(LicenseCode.normalize("syn-oooo-iiii-llll") == "SYN-0000-1111-1111")
    }

    @Test("money prints and parses exactly, and micro-pricing floors without overflow")
    func money() {
        #expect(Money(micros: 12_345_678).decimal == "12.345678")
        #expect(Money(micros: -1).decimal == "-0.000001")
        #expect(Money(decimal: "4.99") == Money(micros: 4_990_000))
        #expect(Money(decimal: "0.0000001") == nil)
        #expect(Money(decimal: "abc") == nil)
        #expect(Money.floorProduct(quantity: 1_234, priceMicros: 100_000, per: 1000) == 123_400)
        #expect(Money.floorProduct(quantity: 1, priceMicros: 999, per: 1000) == 0)
        #expect(Money.floorProduct(quantity: Int64.max, priceMicros: 1000, per: 1000) == Int64.max)
    }
}

@Suite("Hand-written JSON writers of licensing answers")
struct LicensingWritersTests {
    func foundationJSON<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    func written<T: JSONWritable>(_ value: T) throws -> String {
        var output = JSONOutput()
        try value.writeJSON(to: &output)
        return String(decoding: output.bytes, as: UTF8.self)
    }

    @Test("licenses and verifications are written exactly as their Encodable form, every field known")
    func licenses() throws {
        var random = SystemRandomNumberGenerator()
        let texts = ["", "a/b", "\"q\"", "é\n", "key.v4.public.xyz", "😀"]
        func text() -> String { texts.randomElement(using: &random)! }
        func maybe<T>(_ make: () -> T) -> T? { Bool.random(using: &random) ? make() : nil }
        func time() -> Timestamp { Timestamp(millisecondsSince1970: Int64.random(in: 0...4_000_000_000_000, using: &random)) }
        for _ in 0..<2_000 {
            let envelope = Envelope(platforms: maybe { [text()] }, media: [.shortForm], maxClipSeconds: maybe { 60 }, maxViews: maybe { 10 },
                                    maxUses: maybe { 1 }, termDays: maybe { 30 }, territories: maybe { [text(), text()] },
                                    monetized: Bool.random(), paidAds: Bool.random(), attributionRequired: Bool.random(), stemsIncluded: Bool.random())
            let record = LicenseRecord(
                id: LicenseID.make(millisecondsSince1970: 1_795_000_000_000, random: &random), code: text(),
                licenseeID: PartyID.make(millisecondsSince1970: 1, random: &random), assetID: AssetID.make(millisecondsSince1970: 2, random: &random),
                templateID: text(), templateVersion: Int.random(in: 0...9), termsSHA256: text(), envelope: envelope, intendedUse: ordinaryUse,
                priceMicros: Int64.random(in: 0...Int64.max), feeMicros: Int64.random(in: Int64.min...0), issuedAt: time(),
                expiresAt: maybe(time), revokedAt: maybe(time), revokeReason: nil, keyID: text(), token: text())
            let channels = (0..<Int.random(in: 0...3)).map { _ in ClearedChannel(platform: text(), channelID: text()) }
            let license = Wire.License(record, channels: channels, now: time())
            #expect(try written(license) == foundationJSON(license))
            #expect(try JSONWriter.string(license) == foundationJSON(license))
            var verification = Wire.Verification(status: text())
            if Bool.random() {
                verification.licenseID = record.id
                verification.code = maybe(text)
                verification.assetID = record.assetID
                verification.assetTitle = maybe(text)
                verification.composer = maybe(text)
                verification.licensee = maybe(text)
                verification.template = maybe(text)
                verification.termsSHA256 = maybe(text)
                verification.envelope = maybe { envelope }
                verification.channels = maybe { channels }
                verification.issuedAt = maybe(time)
                verification.expiresAt = maybe(time)
                verification.revokedAt = maybe(time)
                verification.signatureValid = maybe { Bool.random() }
            }
            #expect(try written(verification) == foundationJSON(verification))
            #expect(Mirror(reflecting: license).children.count == 18)
            #expect(Mirror(reflecting: verification).children.count == 15)
            #expect(Mirror(reflecting: ClearedChannel(platform: "", channelID: "")).children.count == 2)
        }
    }
}
