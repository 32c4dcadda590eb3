import ArgumentParser

/// The one executable: the server, the composer's tools and the operator's tools.
@main
struct Synclet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synclet",
        abstract: "Synclet: micro-licensing for music — server, composer and operator tools.",
        discussion: """
            Start a server:            synclet serve
            Connect as a composer:     synclet login --server http://127.0.0.1:8080 --api-key syn_…
            Upload a track:            synclet upload song.wav --kind track --title "Night Drive" --bpm 92 --key Am
            Upload a stem pack:        synclet upload-pack stems.zip --title "Night Drive"
            Publish it:                synclet assets publish ast_…
            Search the catalog:        synclet search dark synth --bpm 85-100 --compatible-with 8A
            List your assets:          synclet assets list
            Your statement:            synclet statements show --period 2026-11
            Watch your earnings:       synclet earnings --follow
            Report usage (platforms):  synclet usage report views.ndjson
            Operator (admin key):      synclet admin create-party --kind composer --name "Ada"
            """,
        version: "0.1.0",
        subcommands: [Serve.self, Demo.self, Login.self, Upload.self, UploadPack.self, Search.self, Assets.self, Quote.self, Licenses.self, Verify.self, Wallet.self, UsageCommands.self, Statements.self, Earnings.self, Admin.self, Doctor.self, Tone.self, Dev.self]
    )
}
