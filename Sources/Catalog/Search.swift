import Foundation
import GRDB
import SyncletCore

/// Where a search page ended, in the order the search sorts by. Encoded into the opaque
/// cursor the server MACs, so its fields are trusted when they come back.
public struct SearchPosition: Sendable, Equatable {
    public var sort: SearchQuery.Sort
    public var id: AssetID
    /// The FTS5 rank (bm25) of the last item, for relevance order; kept as its bits.
    public var rank: Double?
    /// The duration of the last item, for duration order.
    public var durationMilliseconds: Int64?

    public init(sort: SearchQuery.Sort, id: AssetID, rank: Double? = nil, durationMilliseconds: Int64? = nil) {
        self.sort = sort
        self.id = id
        self.rank = rank
        self.durationMilliseconds = durationMilliseconds
    }

    /// `sort|id|value`, where value is the rank's bit pattern or the duration.
    public var encoded: String {
        let value = switch sort {
        case .relevance: String(rank?.bitPattern ?? 0, radix: 16)
        case .duration: String(durationMilliseconds ?? 0)
        case .newest: ""
        }
        return "\(sort.rawValue)|\(id.rawValue)|\(value)"
    }

    public init?(encoded: String, sort expected: SearchQuery.Sort) {
        let parts = encoded.split(separator: "|", omittingEmptySubsequences: false)
        guard parts.count == 3, let sort = SearchQuery.Sort(rawValue: String(parts[0])), sort == expected,
              let id = AssetID(parts[1]) else { return nil }
        self.sort = sort
        self.id = id
        switch sort {
        case .relevance:
            guard let bits = UInt64(parts[2], radix: 16) else { return nil }
            rank = Double(bitPattern: bits)
        case .duration:
            guard let value = Int64(parts[2]) else { return nil }
            durationMilliseconds = value
        case .newest:
            break
        }
    }
}

/// Who is searching: decides what is visible.
public struct SearchCaller: Sendable {
    public var party: PartyID
    public var isAdmin: Bool
    public init(party: PartyID, isAdmin: Bool) {
        self.party = party
        self.isAdmin = isAdmin
    }
}

extension CatalogStore {
    /// One page of search results and where the next page starts.
    public struct SearchPage: Sendable {
        public var items: [AssetRecord]
        public var next: SearchPosition?
        /// The display names of the items' composers, read in the same transaction.
        public var composerNames: [PartyID: String]
    }

    /// Full-text search with filters, sorted and paged by a stable key (ties broken by id),
    /// so paging through a result set never repeats or skips an asset.
    public func search(_ query: SearchQuery, caller: SearchCaller, after: SearchPosition?, limit: Int) async throws -> SearchPage {
        let (sql, arguments) = Self.searchSQL(query, caller: caller, after: after, limit: limit + 1)
        return try await writer.read { db in
            let rows = try Row.fetchAll(db, sql: sql, arguments: arguments)
            let records = try rows.prefix(limit).map { try AssetRecord(row: $0) }
            let names = try Self.displayNames(db, Set(records.map(\.ownerID)))
            guard rows.count > limit, let last = rows.prefix(limit).last, let record = records.last else {
                return SearchPage(items: records, next: nil, composerNames: names)
            }
            let position = SearchPosition(sort: query.sort, id: record.id,
                                          rank: query.sort == .relevance ? last["search_rank"] : nil,
                                          durationMilliseconds: query.sort == .duration ? record.durationMilliseconds : nil)
            return SearchPage(items: records, next: position, composerNames: names)
        }
    }

    /// The SQL for a search: exposed so the benchmark runs the very same statement in the
    /// sqlite3 CLI.
    public static func searchSQL(_ query: SearchQuery, caller: SearchCaller, after: SearchPosition?, limit: Int)
        -> (String, StatementArguments)
    {
        let (sql, values) = searchStatement(query, caller: caller, after: after, limit: limit)
        return (sql, StatementArguments(values))
    }

    /// The same statement with its arguments written in as SQL literals, for the sqlite3 CLI
    /// (benchmarks and `synclet dev search-sql`).
    public static func searchSQLLiteral(_ query: SearchQuery, caller: SearchCaller, after: SearchPosition?, limit: Int) -> String {
        let (sql, values) = searchStatement(query, caller: caller, after: after, limit: limit)
        var result = ""
        var remaining = values.makeIterator()
        for character in sql {
            guard character == "?" else { result.append(character); continue }
            switch remaining.next()??.databaseValue.storage {
            case .int64(let value)?: result += String(value)
            case .double(let value)?: result += "\(value)"
            case .string(let text)?: result += "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
            default: result += "NULL"
            }
        }
        return result
    }

    static func searchStatement(_ query: SearchQuery, caller: SearchCaller, after: SearchPosition?, limit: Int)
        -> (String, [(any DatabaseValueConvertible)?])
    {
        var clauses = [String]()
        var arguments = [(any DatabaseValueConvertible)?]()
        var sql: String
        if let match = query.match {
            sql = "WITH hits AS (SELECT rowid, rank FROM asset_search WHERE asset_search MATCH ?) "
                + "SELECT asset.*, hits.rank AS search_rank FROM hits JOIN asset ON asset.rowid = hits.rowid"
            arguments.append(match)
        } else {
            sql = "SELECT asset.* FROM asset"
        }
        if query.mine {
            clauses.append("asset.owner_id = ?")
            arguments.append(caller.party.rawValue)
            if let status = query.status {
                clauses.append("asset.status = ?")
                arguments.append(status.rawValue)
            } else {
                clauses.append("asset.status IN ('draft', 'published')")
            }
        } else if caller.isAdmin, let status = query.status {
            clauses.append("asset.status = ?")
            arguments.append(status.rawValue)
        } else {
            clauses.append("asset.status = 'published'")
        }
        func add(_ clause: String, _ values: [(any DatabaseValueConvertible)?]) {
            clauses.append(clause)
            arguments += values
        }
        if let kind = query.kind { add("asset.kind = ?", [kind.rawValue]) }
        if let low = query.bpmMin { add("asset.bpm >= ?", [low]) }
        if let high = query.bpmMax { add("asset.bpm <= ?", [high]) }
        if let camelot = query.camelot { add("asset.camelot = ?", [camelot]) }
        if let codes = query.compatibleCamelots {
            add("asset.camelot IN (\(codes.map { _ in "?" }.joined(separator: ", ")))", codes)
        }
        if let low = query.durationMillisecondsMin { add("asset.duration_ms >= ?", [low]) }
        if let high = query.durationMillisecondsMax { add("asset.duration_ms <= ?", [high]) }
        if let vocals = query.vocals { add("asset.vocals = ?", [vocals ? 1 : 0]) }
        if let composer = query.composer { add("asset.owner_id = ?", [composer.rawValue]) }
        if let hasStems = query.hasStems {
            clauses.append("\(hasStems ? "" : "NOT ")EXISTS (SELECT 1 FROM asset AS stem WHERE stem.track_id = asset.id AND stem.status = 'published')")
        }
        let order: String
        switch query.sort {
        case .relevance:
            order = "hits.rank, asset.id"
            if let after, let rank = after.rank {
                add("(hits.rank > ? OR (hits.rank = ? AND asset.id > ?))", [rank, rank, after.id.rawValue])
            }
        case .newest:
            order = "asset.id DESC"
            if let after { add("asset.id < ?", [after.id.rawValue]) }
        case .duration:
            order = "asset.duration_ms, asset.id"
            if let after, let duration = after.durationMilliseconds {
                add("(asset.duration_ms, asset.id) > (?, ?)", [duration, after.id.rawValue])
            }
        }
        sql += " WHERE " + clauses.joined(separator: " AND ") + " ORDER BY \(order) LIMIT \(limit)"
        return (sql, arguments)
    }
}
