import BlobStore
import Blocking
import Foundation
import Licensing
import SyncletCore
import SyncletCrypto
import Synchronization

/// The license-signing keys: Ed25519, kept as PASERK `k4.secret` files with mode 0600 in
/// `keys/signing/`, one per rotation. The newest signs; every one stays published so keys
/// signed before a rotation still verify.
final class SigningKeys: Sendable {
    struct Entry: Sendable {
        let id: String
        let createdAt: Timestamp
        let privateKey: Ed25519PrivateKey
        var publicKey: Ed25519PublicKey { privateKey.publicKey }
    }

    private let folder: String
    private let state: Mutex<[Entry]>

    init(folder: String, now: Timestamp) throws {
        self.folder = folder
        try DurableFile.makeDirectories(folder)
        var entries = try Self.load(folder)
        if entries.isEmpty {
            entries = [try Self.create(in: folder, now: now)]
        }
        state = Mutex(entries)
    }

    /// Every key, oldest first.
    var all: [Entry] { state.withLock { $0 } }

    var current: Entry { state.withLock { $0.last! } }

    func publicKey(id: String) -> Ed25519PublicKey? {
        state.withLock { entries in entries.first { $0.id == id }?.publicKey }
    }

    /// Makes a new key the signing key; earlier ones stay for verification. The key file is
    /// durable before the key signs anything.
    func rotate(now: Timestamp) async throws -> Entry {
        let folder = folder
        let entry = try await Blocking.file { try Self.create(in: folder, now: now) }
        state.withLock { $0.append(entry) }
        return entry
    }

    static func load(_ folder: String) throws -> [Entry] {
        var entries = [Entry]()
        for name in DurableFile.list(folder).filter({ $0.hasSuffix(".k4secret") }).sorted() {
            let path = "\(folder)/\(name)"
            guard let mode = DurableFile.mode(path), mode & 0o077 == 0 else {
                throw ServerSetupError(description: "\(path) is readable by others. Run `chmod 600 \(path)` and start again.")
            }
            let text = String(decoding: try DurableFile.read(path), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            let key: Ed25519PrivateKey
            do { key = try PASERK.parseSecretKey(text) } catch {
                throw ServerSetupError(description: "\(path) is not a k4.secret PASERK (\(error)). Restore it from a backup; never delete a key that signed licenses.")
            }
            let millis = Int64(name.split(separator: "-").first ?? "") ?? 0
            entries.append(Entry(id: PASERK.publicKeyID(key.publicKey), createdAt: Timestamp(millisecondsSince1970: millis), privateKey: key))
        }
        return entries
    }

    static func create(in folder: String, now: Timestamp) throws -> Entry {
        let key = Ed25519PrivateKey.generate()
        let id = PASERK.publicKeyID(key.publicKey)
        // Named by creation time so the newest sorts last.
        let name = String(format: "%013lld", now.millisecondsSince1970) + "-\(SecureBytes.random(count: 4).hex).k4secret"
        try DurableFile.writeAtomically(Array(PASERK.secretKey(key).utf8), to: "\(folder)/\(name)", mode: 0o600)
        return Entry(id: id, createdAt: now, privateKey: key)
    }
}

/// The current key as a `LicenseSigner`.
struct PASETOSigner: LicenseSigner {
    let entry: SigningKeys.Entry
    var keyID: String { entry.id }
    func sign(message: [UInt8], footer: [UInt8]) -> String {
        PASETO.sign(message: message, footer: footer, key: entry.privateKey)
    }
}
