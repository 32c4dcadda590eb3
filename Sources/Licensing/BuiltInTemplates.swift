/// The license templates compiled into the binary from `Licenses/` (through the
/// `DefaultTemplates` link and SwiftPM's `embedInCode`). SwiftPM gives each file a constant
/// but no list of them, so the list is here; a test checks it names every template in
/// `Licenses/`, so a template added there and forgotten here fails the build's tests.
enum BuiltInTemplates {
    static let files: [String: [UInt8]] = [
        "commercial-ads.json": PackageResources.commercial_ads_json,
        "commercial-ads.md": PackageResources.commercial_ads_md,
        "creator-standard.json": PackageResources.creator_standard_json,
        "creator-standard.md": PackageResources.creator_standard_md,
        "social-clip.json": PackageResources.social_clip_json,
        "social-clip.md": PackageResources.social_clip_md,
        "subscription-pool.json": PackageResources.subscription_pool_json,
        "subscription-pool.md": PackageResources.subscription_pool_md,
    ]

    /// The names compiled in, for the test that compares them with `Licenses/`.
    static var names: [String] { files.keys.sorted() }
}
