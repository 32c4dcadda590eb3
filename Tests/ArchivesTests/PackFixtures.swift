import Foundation

/// A 16-bit stereo 44.1 kHz WAV that is mostly digital silence, as a real vocal or FX stem
/// often is: `silentSecondsBefore` of zeros, `toneSeconds` of a 440 Hz sine, then
/// `silentSecondsAfter` of zeros. Deflate packs 60 s of it with a 1 s tone about 500:1.
func mostlySilentWAV(silentSecondsBefore: Int, toneSeconds: Int, silentSecondsAfter: Int = 0) -> [UInt8] {
    let sampleRate = 44_100
    let frameByteCount = 4  // two channels of 16 bits
    let frameCount = (silentSecondsBefore + toneSeconds + silentSecondsAfter) * sampleRate
    let dataByteCount = frameCount * frameByteCount
    var bytes = [UInt8]()
    bytes.reserveCapacity(44 + dataByteCount)
    func appendLittleEndian(_ value: Int, byteCount: Int) {
        for index in 0..<byteCount {
            bytes.append(UInt8(truncatingIfNeeded: value >> (8 * index)))
        }
    }
    bytes.append(contentsOf: Array("RIFF".utf8))
    appendLittleEndian(36 + dataByteCount, byteCount: 4)
    bytes.append(contentsOf: Array("WAVEfmt ".utf8))
    appendLittleEndian(16, byteCount: 4)  // fmt chunk size
    appendLittleEndian(1, byteCount: 2)  // PCM
    appendLittleEndian(2, byteCount: 2)  // channels
    appendLittleEndian(sampleRate, byteCount: 4)
    appendLittleEndian(sampleRate * frameByteCount, byteCount: 4)  // bytes per second
    appendLittleEndian(frameByteCount, byteCount: 2)
    appendLittleEndian(16, byteCount: 2)  // bits per sample
    bytes.append(contentsOf: Array("data".utf8))
    appendLittleEndian(dataByteCount, byteCount: 4)
    bytes.append(contentsOf: [UInt8](repeating: 0, count: silentSecondsBefore * sampleRate * frameByteCount))
    let step = 2 * Double.pi * 440 / Double(sampleRate)
    for frame in 0..<(toneSeconds * sampleRate) {
        let sample = Int(8_000 * sin(step * Double(frame)))
        appendLittleEndian(sample, byteCount: 2)
        appendLittleEndian(sample, byteCount: 2)
    }
    bytes.append(contentsOf: [UInt8](repeating: 0, count: silentSecondsAfter * sampleRate * frameByteCount))
    return bytes
}

/// Byte-level edits of a zip written by `TestArchive`, to make headers that lie or say
/// nothing. Offsets are APPNOTE.TXT's: a local file header is "PK\3\4" with its general
/// flags at 6, compressed size at 18, uncompressed size at 22, name length at 26 and name
/// at 30; a central directory record is "PK\1\2" with its uncompressed size at 24, name
/// length at 28 and name at 46.
enum ZipSurgery {
    /// One kind of header: where its fields sit.
    private struct Header {
        var signature: [UInt8]
        var uncompressedSizeOffset: Int
        var nameLengthOffset: Int
        var nameOffset: Int

        /// Where each header of this kind starts, for every entry or only for `name`.
        func offsets(of name: String?, in bytes: [UInt8]) -> [Int] {
            let wanted = name.map { Array($0.utf8) }
            var found = [Int]()
            var index = 0
            while index + nameOffset <= bytes.count {
                defer { index += 1 }
                guard bytes[index..<index + signature.count].elementsEqual(signature) else { continue }
                guard let wanted else {
                    found.append(index)
                    continue
                }
                let nameLength = Int(bytes[index + nameLengthOffset]) | Int(bytes[index + nameLengthOffset + 1]) << 8
                let nameStart = index + nameOffset
                guard nameLength == wanted.count, nameStart + nameLength <= bytes.count,
                      bytes[nameStart..<nameStart + nameLength].elementsEqual(wanted) else { continue }
                found.append(index)
            }
            return found
        }
    }

    private static let localHeader = Header(signature: [0x50, 0x4B, 0x03, 0x04], uncompressedSizeOffset: 22,
                                            nameLengthOffset: 26, nameOffset: 30)
    private static let centralRecord = Header(signature: [0x50, 0x4B, 0x01, 0x02], uncompressedSizeOffset: 24,
                                              nameLengthOffset: 28, nameOffset: 46)
    /// Bit 3 of the general flags: sizes and CRC follow the data ("length at end").
    private static let lengthAtEndFlag: UInt8 = 0x08

    /// Makes both headers of `name` (its local header and its central directory record)
    /// declare `byteCount` uncompressed bytes, whatever its data unpacks to.
    static func declare(_ byteCount: UInt32, for name: String, inZipAt path: String) throws {
        var bytes = try read(path)
        let local = localHeader.offsets(of: name, in: bytes)
        let central = centralRecord.offsets(of: name, in: bytes)
        guard local.count == 1, central.count == 1 else {
            throw TestArchiveError("\(name): \(local.count) local headers and \(central.count) central records in \(path)")
        }
        write(byteCount, at: local[0] + localHeader.uncompressedSizeOffset, in: &bytes)
        write(byteCount, at: central[0] + centralRecord.uncompressedSizeOffset, in: &bytes)
        try save(bytes, to: path)
    }

    /// Leaves every entry without a declared size: the local headers' sizes are zeroed (the
    /// writer flags each deflated entry "length at end", so readers must not trust them) and
    /// the central directory is cut off. libarchive then reads the zip as a stream and learns
    /// no entry's size before its data ends; a reader that waited for that end would also
    /// find the archive cut short.
    static func removeDeclaredSizes(inZipAt path: String) throws {
        var bytes = try read(path)
        let locals = localHeader.offsets(of: nil, in: bytes)
        guard !locals.isEmpty else { throw TestArchiveError("no local headers in \(path)") }
        for offset in locals {
            guard bytes[offset + 6] & lengthAtEndFlag != 0 else {
                throw TestArchiveError("the entry at \(offset) of \(path) is not flagged length-at-end")
            }
            write(0, at: offset + 18, in: &bytes)
            write(0, at: offset + localHeader.uncompressedSizeOffset, in: &bytes)
        }
        guard let centralDirectory = centralRecord.offsets(of: nil, in: bytes).first else {
            throw TestArchiveError("no central directory in \(path)")
        }
        bytes.removeSubrange(centralDirectory...)
        try save(bytes, to: path)
    }

    private static func write(_ value: UInt32, at offset: Int, in bytes: inout [UInt8]) {
        for index in 0..<4 {
            bytes[offset + index] = UInt8(truncatingIfNeeded: value >> UInt32(8 * index))
        }
    }

    private static func read(_ path: String) throws -> [UInt8] {
        guard let bytes = contentsOfFile(path) else { throw TestArchiveError("cannot read \(path)") }
        return bytes
    }

    private static func save(_ bytes: [UInt8], to path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }
}
