import ArgumentParser
import Foundation
import Licensing
import SyncletClient
import SyncletCore

/// `synclet quote`: every template's answer for one use of an asset.
struct Quote: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Price a use of an asset under every license template.",
        discussion: """
            Describe how you will use the clip; each template answers whether it covers that
            use, an estimate and the limits it breaks. The estimate is everything the template
            charges for the use: the license price plus your expected views, productions
            (--productions, default 1) and plays (--plays, default 0) at its usage prices, each
            part shown; covering templates are ranked by it. Buying charges the license price;
            usage is charged as it is reported. Buy with `synclet licenses buy ASSET --template T`
            and the same use flags.

            Example:
              synclet quote ast_… --platform youtube --media short_form --clip-seconds 30 \\
                --views 50000 --term-days 365 --territory US --monetized --productions 2
            """)

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "A published asset (ast_…).") var asset: String
    @OptionGroup var use: UseOptions

    @Option(help: "Productions (videos, episodes, streams) you will use the clip in over the term (default 1).")
    var productions: Int64?

    @Option(help: "Plays you expect over the term (default 0).")
    var plays: Int64?

    func validate() throws {
        _ = try parseAssetID(asset)
        if let productions, !(0...ExpectedUsage.productionsMax).contains(productions) {
            throw ValidationError("--productions must be from 0 to \(ExpectedUsage.productionsMax): the videos, episodes or streams you will use the clip in.")
        }
        if let plays, !(0...ExpectedUsage.playsMax).contains(plays) {
            throw ValidationError("--plays must be from 0 to \(ExpectedUsage.playsMax): the plays you expect over the term.")
        }
    }

    func run() async throws {
        let assetID = try parseAssetID(asset)
        let client = try connection.client()
        try await reportingErrors {
            let quote = try await client.quote(asset: assetID, use: use.intendedUse, productions: productions, plays: plays)
            if connection.json { try Output.json(quote); return }
            print(Self.assumptions(quote))
            print(Self.table(quote))
            if let best = quote.options.first(where: \.covers) {
                print("\nBuy: synclet licenses buy \(assetID) --template \(best.template) \(use.arguments)")
            } else {
                print("\nNo template covers this use. Loosen what the limits above name (a shorter clip, fewer views, a shorter term) and quote again.")
            }
        }
    }

    /// What every estimate counted, and the flags that change it.
    static func assumptions(_ quote: Wire.Quote) -> String {
        let a = quote.assumed
        return "Assuming \(counted(a.views, "view")), \(counted(a.productions, "production")) and \(counted(a.plays, "play")) "
            + "over \(quote.use.termDays) days (change with --views, --productions, --plays).\n"
    }

    static func table(_ quote: Wire.Quote) -> String {
        let rows = quote.options.map { option -> [String] in
            let broken = option.violations.map { "\($0.limit): \($0.detail)" }.joined(separator: "; ")
            return ["\(option.template)@\(option.version)", option.name, option.covers ? "yes" : "no",
                    "\(Money(micros: option.estimatedMicros).decimal) \(quote.currency)", parts(option.estimateItems),
                    broken.isEmpty ? "-" : broken]
        }
        return TextTable.render(header: ["TEMPLATE", "NAME", "COVERS", "ESTIMATE", "PARTS", "BROKEN LIMITS"], rows: rows)
    }

    /// `license 19.000000 + 50000 views 5.000000 + 1 production 0.000000`: the license price
    /// and each usage assumed (usage assumed to be none is left out).
    static func parts(_ items: [EstimateItem]) -> String {
        items.compactMap { item -> String? in
            let amount = Money(micros: item.micros).decimal
            guard let quantity = item.quantity else { return "license \(amount)" }
            guard quantity > 0 else { return nil }
            let noun = switch item.what {
            case .license: "license"
            case .views: "view"
            case .uses: "production"
            case .plays: "play"
            }
            return "\(counted(quantity, noun)) \(amount)"
        }.joined(separator: " + ")
    }

    static func counted(_ count: Int64, _ noun: String) -> String { "\(count) \(noun)\(count == 1 ? "" : "s")" }
}
