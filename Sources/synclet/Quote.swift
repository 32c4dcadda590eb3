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
            use, an estimated price and the limits it breaks. The estimate is the flat price plus
            your expected views at the per-1,000-views price, for comparing; buying charges the
            flat price. Buy with `synclet licenses buy ASSET --template T` and the same flags.

            Example:
              synclet quote ast_… --platform youtube --media short_form --clip-seconds 30 \\
                --views 50000 --term-days 365 --territory US --monetized
            """)

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "A published asset (ast_…).") var asset: String
    @OptionGroup var use: UseOptions

    func validate() throws { _ = try parseAssetID(asset) }

    func run() async throws {
        let assetID = try parseAssetID(asset)
        let client = try connection.client()
        try await reportingErrors {
            let quote = try await client.quote(asset: assetID, use: use.intendedUse)
            if connection.json { try Output.json(quote); return }
            print(Self.table(quote))
            if let best = quote.options.first(where: \.covers) {
                print("\nBuy: synclet licenses buy \(assetID) --template \(best.template) \(use.arguments)")
            } else {
                print("\nNo template covers this use. Loosen what the limits above name (a shorter clip, fewer views, a shorter term) and quote again.")
            }
        }
    }

    static func table(_ quote: Wire.Quote) -> String {
        let rows = quote.options.map { option -> [String] in
            let broken = option.violations.map { "\($0.limit): \($0.detail)" }.joined(separator: "; ")
            return ["\(option.template)@\(option.version)", option.name, option.covers ? "yes" : "no",
                    "\(Money(micros: option.estimatedMicros).decimal) \(quote.currency)", broken.isEmpty ? "-" : broken]
        }
        return TextTable.render(header: ["TEMPLATE", "NAME", "COVERS", "ESTIMATE", "BROKEN LIMITS"], rows: rows)
    }
}
