import GRDB
import GRDBSQLite
import SyncletCore

/// Reads the current row of a statement straight from SQLite, column by column: for the
/// reads that decode thousands of columns per second (search and list pages), where going
/// through GRDB's `Row` costs several times the query. A value that breaks the schema's
/// promises throws, never traps.
struct ColumnReader {
    let statement: SQLiteStatement

    struct Corrupt: Error, CustomStringConvertible {
        let column: Int32
        var description: String { "column \(column) does not hold what the schema promises" }
    }

    func isNull(_ index: Int) -> Bool { sqlite3_column_type(statement, Int32(index)) == SQLITE_NULL }

    func text(_ index: Int) throws -> String {
        guard let bytes = sqlite3_column_text(statement, Int32(index)) else { throw Corrupt(column: Int32(index)) }
        return String(decoding: UnsafeBufferPointer(start: bytes, count: Int(sqlite3_column_bytes(statement, Int32(index)))), as: UTF8.self)
    }

    func optionalText(_ index: Int) throws -> String? { isNull(index) ? nil : try text(index) }

    func int64(_ index: Int) throws -> Int64 {
        guard sqlite3_column_type(statement, Int32(index)) == SQLITE_INTEGER else { throw Corrupt(column: Int32(index)) }
        return sqlite3_column_int64(statement, Int32(index))
    }

    func optionalInt64(_ index: Int) throws -> Int64? { isNull(index) ? nil : try int64(index) }

    func int(_ index: Int) throws -> Int {
        guard let value = Int(exactly: try int64(index)) else { throw Corrupt(column: Int32(index)) }
        return value
    }

    func optionalInt(_ index: Int) throws -> Int? { isNull(index) ? nil : try int(index) }

    func optionalDouble(_ index: Int) -> Double? { isNull(index) ? nil : sqlite3_column_double(statement, Int32(index)) }

    func bool(_ index: Int) throws -> Bool { try int64(index) != 0 }

    func optionalBool(_ index: Int) throws -> Bool? { isNull(index) ? nil : try bool(index) }

    func timestamp(_ index: Int) throws -> Timestamp { Timestamp(millisecondsSince1970: try int64(index)) }

    func optionalTimestamp(_ index: Int) throws -> Timestamp? { isNull(index) ? nil : try timestamp(index) }

    func id<Kind>(_ index: Int) throws -> Identifier<Kind> {
        guard let bytes = sqlite3_column_text(statement, Int32(index)),
              let id = Identifier<Kind>(utf8: UnsafeBufferPointer(start: bytes, count: Int(sqlite3_column_bytes(statement, Int32(index)))))
        else { throw Corrupt(column: Int32(index)) }
        return id
    }

    func optionalID<Kind>(_ index: Int) throws -> Identifier<Kind>? { isNull(index) ? nil : try id(index) }

    func raw<E: RawRepresentable>(_ index: Int) throws -> E where E.RawValue == String {
        guard let value = E(rawValue: try text(index)) else { throw Corrupt(column: Int32(index)) }
        return value
    }
}

extension AssetRecord {
    /// The current row of `statement`, with its columns at `c`.
    init(_ r: ColumnReader, columns c: AssetColumns) throws {
        self.init(
            id: try r.id(c.id), ownerID: try r.id(c.ownerId), kind: try r.raw(c.kind), trackID: try r.optionalID(c.trackId),
            status: try r.raw(c.status), title: try r.text(c.title), role: try r.optionalText(c.role), bpm: r.optionalDouble(c.bpm),
            musicalKey: try r.optionalText(c.musicalKey), camelot: try r.optionalText(c.camelot),
            tags: Self.list(try r.optionalText(c.tags)), moods: Self.list(try r.optionalText(c.moods)),
            genres: Self.list(try r.optionalText(c.genres)), instruments: Self.list(try r.optionalText(c.instruments)),
            vocals: try r.optionalBool(c.vocals), isrc: try r.optionalText(c.isrc), blobSHA256: try r.optionalText(c.blobSha256),
            byteCount: try r.optionalInt64(c.byteCount), filename: try r.optionalText(c.filename),
            container: try r.optionalText(c.container), encoding: try r.optionalText(c.encoding),
            sampleRate: try r.optionalInt(c.sampleRate), bitDepth: try r.optionalInt(c.bitDepth), channels: try r.optionalInt(c.channels),
            frames: try r.optionalInt64(c.frames), durationMilliseconds: try r.int64(c.durationMs), createdAt: try r.timestamp(c.createdAt),
            updatedAt: try r.timestamp(c.updatedAt), publishedAt: try r.optionalTimestamp(c.publishedAt),
            withdrawnAt: try r.optionalTimestamp(c.withdrawnAt), previewStatus: try r.raw(c.previewStatus),
            previewDetail: try r.optionalText(c.previewDetail), previewStartMilliseconds: try r.int64(c.previewStartMs),
            previewDurationMilliseconds: try r.int64(c.previewDurationMs), previewWatermark: try r.bool(c.previewWatermark),
            previewSHA256: try r.optionalText(c.previewSha256), previewByteCount: try r.optionalInt64(c.previewByteCount),
            previewFormat: try r.optionalText(c.previewFormat), waveformSHA256: try r.optionalText(c.waveformSha256))
    }
}
