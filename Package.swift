// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Synclet",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "synclet", targets: ["synclet"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
    ],
    targets: [
        // System libraries: module maps only; Debian packages named as providers.
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CArchive", pkgConfig: "libarchive", providers: [.apt(["libarchive-dev"])]),
        .systemLibrary(name: "CSndFile", pkgConfig: "sndfile", providers: [.apt(["libsndfile1-dev"])]),
        // Only for what OpenSSL 3.0 lacks: BLAKE2b with a 33-byte output (PASERK key ids).
        .systemLibrary(name: "CSodium", pkgConfig: "libsodium", providers: [.apt(["libsodium-dev"])]),

        // Pure domain: ids, money, splits, keys, ranges, problems. No I/O.
        .target(name: "SyncletCore"),
        // The one door to OpenSSL: hashing, HMAC, randomness, constant-time compare.
        .target(name: "SyncletCrypto", dependencies: ["COpenSSL", "CSodium", "SyncletCore"]),
        // Where blocking work may run: thread pools for files, codecs and database reads.
        .target(name: "Blocking", dependencies: [
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .target(name: "BlobStore", dependencies: [
            "SyncletCore", "SyncletCrypto", "Blocking",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        .target(name: "Audio", dependencies: ["CSndFile", "SyncletCore"]),
        // Stem packs in and bundles out, through libarchive.
        .target(name: "Archives", dependencies: [
            "CArchive", "SyncletCore",
            .product(name: "NIOCore", package: "swift-nio"),
        ]),
        .target(name: "Catalog", dependencies: [
            "SyncletCore", "SyncletCrypto", "Blocking",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "GRDBSQLite", package: "GRDB.swift"),
        ]),
        // The double-entry ledger: accounts, immutable transfers, balances.
        .target(name: "Ledger", dependencies: [
            "SyncletCore", "Blocking",
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        // Templates, quotes, licenses, keys.
        // DefaultTemplates is a link to the top-level Licenses/: the templates are compiled
        // into the binary, so `synclet serve` needs no folder of them (--licenses overrides).
        .target(name: "Licensing", dependencies: [
            "SyncletCore", "SyncletCrypto", "Catalog", "Ledger", "Blocking",
            .product(name: "GRDB", package: "GRDB.swift"),
        ], resources: [.embedInCode("DefaultTemplates")]),
        // Usage events in, priced and booked, statement lines out.
        .target(name: "Usage", dependencies: [
            "SyncletCore", "Catalog", "Ledger", "Licensing", "Blocking",
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .target(name: "SyncletServer", dependencies: [
            "SyncletCore", "SyncletCrypto", "Blocking", "BlobStore", "Audio", "Catalog", "Archives", "Ledger", "Licensing", "Usage",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
        ], resources: [.copy("Resources/openapi.json"), .copy("Resources/web")]),
        .target(name: "SyncletClient", dependencies: [
            "SyncletCore", "Licensing", "SyncletCrypto", "Usage",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        .executableTarget(name: "synclet", dependencies: [
            "SyncletCore", "SyncletServer", "SyncletClient", "Audio", "Catalog", "CArchive", "COpenSSL", "Licensing", "SyncletCrypto", "Usage", "Blocking",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),

        .testTarget(name: "SyncletCoreTests", dependencies: ["SyncletCore"]),
        .testTarget(name: "SyncletCryptoTests", dependencies: ["SyncletCrypto"], resources: [.copy("Vectors")]),
        .testTarget(name: "BlobStoreTests", dependencies: ["BlobStore", "SyncletCrypto"]),
        .testTarget(name: "AudioTests", dependencies: ["Audio", "CSndFile"]),
        .testTarget(name: "ArchivesTests", dependencies: ["Archives", "CArchive", "SyncletCore"]),
        .testTarget(name: "LedgerTests", dependencies: ["Ledger", "SyncletCore", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "LicensingTests", dependencies: ["Licensing", "SyncletCore"]),
        .testTarget(name: "UsageTests", dependencies: ["Usage", "SyncletCore"]),
        .testTarget(name: "CatalogTests", dependencies: [
            "Catalog", "SyncletCore",
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .testTarget(name: "EndToEndTests", dependencies: [
            "SyncletServer", "SyncletClient", "SyncletCore", "SyncletCrypto", "Audio", "CSndFile", "Archives", "CArchive", "Usage",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
    ],
    swiftLanguageModes: [.v6]
)
