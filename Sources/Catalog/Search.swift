import Foundation
import Blocking
import GRDB
import SyncletCore

/// Where a search page ended, in the order the search sorts by. Encoded into the opaque
/// cursor the server MACs, so its fields are trusted when they come back.
public struct SearchPosition: Sendable, Equatable {
    public var sort: SearchQuery.Sort
    public var id: AssetID
    /// Relevance order: the tier of the last item (0: every word in the title; 1: elsewhere)
    /// and its row number, which orders items inside a tier (newest first).
    public var tier: Int?
    public var rowid: Int64?
    /// Duration order: the duration of the last item.
    public var durationMilliseconds: Int64?

    public init(sort: SearchQuery.Sort, id: AssetID, tier: Int? = nil, rowid: Int64? = nil, durationMilliseconds: Int64? = nil) {
        self.sort = sort
        self.id = id
        self.tier = tier
        self.rowid = rowid
        self.durationMilliseconds = durationMilliseconds
    }

    /// `sort|id|value`: value is `tier:rowid`, the duration, or empty.
    public var encoded: String {
        let value = switch sort {
        case .relevance: "\(tier ?? 0):\(rowid ?? 0)"
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
            let fields = parts[2].split(separator: ":")
            guard fields.count == 2, let tier = Int(fields[0]), CatalogStore.relevanceTiers.contains(tier),
                  let rowid = Int64(fields[1]) else { return nil }
            self.tier = tier
            self.rowid = rowid
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

    /// Relevance tiers, best first: every word in the title, then every word anywhere
    /// (tags, moods, genres, instruments, composer). Inside a tier, newest first.
    ///
    /// Why not bm25: it must score every match before the first page can be returned, which
    /// on a million assets costs tens of milliseconds for an ordinary word. Short catalog
    /// metadata gains little from term-frequency weighting, and each tier here is read in
    /// FTS5's own row order and stops as soon as a page is full.
    public static let relevanceTiers = 0...1

    /// Full-text search with filters, sorted and paged by a stable key, so paging through a
    /// result set never repeats or skips an asset.
    ///
    /// No read transaction around the statements (its BEGIN and COMMIT cost as much as the
    /// search): each statement is consistent by itself, the tiers are disjoint, and a name
    /// changed between the page and its names' read is only as stale as a moment earlier.
    public func search(_ query: SearchQuery, caller: SearchCaller, after: SearchPosition?, limit: Int) async throws -> SearchPage {
        try await writer.pooledStatementRead { db in
            let statements = Self.searchStatements(query, caller: caller, after: after, limit: limit + 1)
            // Run the statements in order (one, or one per relevance tier) until a page and
            // one more row are in hand.
            // Rows are decoded on the cursor (columns read straight from the statement), and
            // reading stops once a page and one more row are in hand.
            var found = [(record: AssetRecord, rowid: Int64, tier: Int)]()
            for (tier, statement) in statements.enumerated() where found.count <= limit {
                let prepared = try db.cachedStatement(sql: statement.sql)
                let cursor = try Row.fetchCursor(prepared, arguments: StatementArguments(statement.values))
                let startTier = query.sort == .relevance ? (after?.tier ?? 0) : 0
                var columns: (asset: AssetColumns, rowid: Int)? = nil
                let reader = ColumnReader(statement: prepared.sqliteStatement)
                while found.count <= limit, let row = try cursor.next() {
                    let index = columns ?? { let names = ColumnIndex(row); return (AssetColumns(names), names["search_rowid"]) }()
                    columns = index
                    found.append((try AssetRecord(reader, columns: index.asset), try reader.int64(index.rowid), startTier + tier))
                }
            }
            let page = found.prefix(limit)
            let records = page.map(\.record)
            let names = try Self.displayNames(db, Set(records.map(\.ownerID)))
            guard found.count > limit, let last = page.last, let record = records.last else {
                return SearchPage(items: records, next: nil, composerNames: names)
            }
            let position = SearchPosition(
                sort: query.sort, id: record.id,
                tier: query.sort == .relevance ? last.tier : nil,
                rowid: query.sort == .relevance ? last.rowid : nil,
                durationMilliseconds: query.sort == .duration ? record.durationMilliseconds : nil)
            return SearchPage(items: records, next: position, composerNames: names)
        }
    }

    /// The statements a search runs, with their arguments written in as SQL literals, one
    /// per line, for the sqlite3 CLI (benchmarks and `synclet dev search-sql`).
    public static func searchSQLLiteral(_ query: SearchQuery, caller: SearchCaller, after: SearchPosition?, limit: Int) -> [String] {
        searchStatements(query, caller: caller, after: after, limit: limit).map { statement in
            var result = ""
            var remaining = statement.values.makeIterator()
            for character in statement.sql {
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
    }

    /// One SQL statement and its arguments.
    struct Statement {
        var sql: String
        var values: [(any DatabaseValueConvertible)?]
    }

    /// The statements for a search: one for newest and duration order, one per remaining
    /// relevance tier (starting at the cursor's tier).
    static func searchStatements(_ query: SearchQuery, caller: SearchCaller, after: SearchPosition?, limit: Int) -> [Statement] {
        guard query.sort == .relevance, let match = query.match else {
            return [statement(query, caller: caller, match: query.match, after: after, limit: limit)]
        }
        let first = after?.tier ?? relevanceTiers.lowerBound
        return (first...relevanceTiers.upperBound).map { tier in
            let expression = tier == 0 ? "{title} : (\(match))" : "(\(match)) NOT {title} : (\(match))"
            let bound = after?.tier == tier ? after?.rowid : nil
            return statement(query, caller: caller, match: expression, after: after, rowidBelow: bound, limit: limit)
        }
    }

    static func statement(_ query: SearchQuery, caller: SearchCaller, match: String?, after: SearchPosition?,
                          rowidBelow: Int64? = nil, limit: Int) -> Statement {
        var clauses = [String]()
        var values = [(any DatabaseValueConvertible)?]()
        func add(_ clause: String, _ arguments: [(any DatabaseValueConvertible)?] = []) {
            clauses.append(clause)
            values += arguments
        }
        var sql = "SELECT asset.*, asset.rowid AS search_rowid FROM asset"
        if let match {
            sql = "SELECT asset.*, asset.rowid AS search_rowid FROM asset_search JOIN asset ON asset.rowid = asset_search.rowid"
            add("asset_search MATCH ?", [match])
        }
        if query.mine {
            add("asset.owner_id = ?", [caller.party.rawValue])
            if let status = query.status { add("asset.status = ?", [status.rawValue]) } else { add("asset.status IN ('draft', 'published')") }
        } else if caller.isAdmin, let status = query.status {
            add("asset.status = ?", [status.rawValue])
        } else {
            add("asset.status = 'published'")
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
        if let name = query.composerName {
            add("asset.owner_id IN (SELECT id FROM party WHERE kind = 'composer' AND display_name = ? COLLATE NOCASE)", [name])
        }
        if let hasStems = query.hasStems {
            add("\(hasStems ? "" : "NOT ")EXISTS (SELECT 1 FROM asset AS stem WHERE stem.track_id = asset.id AND stem.status = 'published')")
        }
        let order: String
        switch query.sort {
        case .relevance:
            order = "asset_search.rowid DESC"
            if let rowidBelow { add("asset_search.rowid < ?", [rowidBelow]) }
        case .newest:
            order = "asset.id DESC"
            if let after { add("asset.id < ?", [after.id.rawValue]) }
        case .duration:
            order = "asset.duration_ms, asset.id"
            if let after, let duration = after.durationMilliseconds {
                add("(asset.duration_ms, asset.id) > (?, ?)", [duration, after.id.rawValue])
            }
        }
        // The limit as an argument too: each shape of search is prepared once per connection.
        sql += " WHERE " + clauses.joined(separator: " AND ") + " ORDER BY \(order) LIMIT ?"
        return Statement(sql: sql, values: values + [limit])
    }
}
