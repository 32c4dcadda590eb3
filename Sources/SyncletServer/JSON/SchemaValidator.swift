import SyncletCore

/// Checks a request body against its schema in the OpenAPI document before it is decoded,
/// so the document and the server agree by construction: unknown fields, wrong types,
/// missing fields, enums and bounds are refused with a JSON pointer to the culprit.
///
/// A deliberately small subset of JSON Schema: type, properties, required,
/// additionalProperties, items, enum, minimum, maximum, minLength, maxLength, minItems,
/// maxItems, $ref to `#/components/schemas/...`.
struct SchemaValidator: Sendable {
    /// `components.schemas` of the OpenAPI document.
    let schemas: [String: JSONValue]

    /// Throws a 400 problem for the first violation found.
    func validate(_ value: JSONValue, against schema: JSONValue, at pointer: @autoclosure () -> String = "") throws(Problem) {
        guard case .object(var rule) = schema else { return }
        if case .string(let ref)? = rule["$ref"] {
            let name = String(ref.split(separator: "/").last ?? "")
            guard let target = schemas[name] else { preconditionFailure("unresolved schema reference \(ref)") }
            try validate(value, against: target, at: pointer())
            return
        }
        if case .array(let alternatives)? = rule["oneOf"] ?? rule["anyOf"] {
            for alternative in alternatives where (try? validate(value, against: alternative, at: pointer())) != nil { return }
            throw fail(pointer(), "does not match any allowed form")
        }
        try checkType(value, rule["type"], pointer())
        if case .array(let allowed)? = rule["enum"], !allowed.contains(value) {
            let names = allowed.compactMap { if case .string(let s) = $0 { s } else { nil } }
            throw fail(pointer(), "must be one of: \(names.joined(separator: ", "))")
        }
        switch value {
        case .object(let members):
            try checkObject(members, &rule, pointer())
        case .array(let items):
            if case .integer(let max)? = rule["maxItems"], items.count > max { throw fail(pointer(), "may hold at most \(max) items") }
            if case .integer(let min)? = rule["minItems"], items.count < min { throw fail(pointer(), "must hold at least \(min) items") }
            if let itemSchema = rule["items"] {
                for (index, item) in items.enumerated() { try validate(item, against: itemSchema, at: "\(pointer())/\(index)") }
            }
        case .string(let text):
            if case .integer(let max)? = rule["maxLength"], text.unicodeScalars.count > max { throw fail(pointer(), "may be at most \(max) characters") }
            if case .integer(let min)? = rule["minLength"], text.unicodeScalars.count < min { throw fail(pointer(), "must be at least \(min) characters") }
        case .integer, .number:
            let number: Double = if case .integer(let i) = value { Double(i) } else if case .number(let d) = value { d } else { 0 }
            if let min = rule["minimum"].flatMap(Self.double), number < min { throw fail(pointer(), "must be at least \(Self.format(min))") }
            if let max = rule["maximum"].flatMap(Self.double), number > max { throw fail(pointer(), "must be at most \(Self.format(max))") }
        default:
            break
        }
    }

    private func checkObject(_ members: [String: JSONValue], _ rule: inout [String: JSONValue], _ pointer: @autoclosure () -> String) throws(Problem) {
        let properties: [String: JSONValue] = if case .object(let p)? = rule["properties"] { p } else { [:] }
        if case .array(let required)? = rule["required"] {
            for case .string(let name) in required where members[name] == nil {
                throw fail("\(pointer())/\(name)", "is required")
            }
        }
        if case .bool(false)? = rule["additionalProperties"], members.keys.contains(where: { properties[$0] == nil }) {
            for name in members.keys.sorted() where properties[name] == nil {
                throw fail("\(pointer())/\(name)", "is not a known field; allowed: \(properties.keys.sorted().joined(separator: ", "))")
            }
        }
        // In any order first (no sort for a body that passes); when one fails, again in key
        // order, so the problem named is always the same one.
        do {
            for (name, member) in members {
                if let propertySchema = properties[name] { try validate(member, against: propertySchema, at: "\(pointer())/\(name)") }
            }
        } catch {
            for (name, member) in members.sorted(by: { $0.key < $1.key }) {
                if let propertySchema = properties[name] { try validate(member, against: propertySchema, at: "\(pointer())/\(name)") }
            }
            throw error
        }
    }

    private func checkType(_ value: JSONValue, _ type: JSONValue?, _ pointer: @autoclosure () -> String) throws(Problem) {
        let allowed: [String]
        switch type {
        case .string(let name)?: allowed = [name]
        case .array(let names)?: allowed = names.compactMap { if case .string(let s) = $0 { s } else { nil } }
        default: return
        }
        let actual = value.typeName
        if allowed.contains(actual) || (actual == "integer" && allowed.contains("number")) { return }
        throw fail(pointer(), "must be \(allowed.filter { $0 != "null" }.joined(separator: " or "))\(allowed.contains("null") ? " or null" : ""), not \(actual)")
    }

    private func fail(_ pointer: String, _ message: String) -> Problem {
        let place = pointer.isEmpty ? "The body" : "Field \(pointer)"
        return .badRequest("\(place) \(message).", field: pointer.isEmpty ? "/" : pointer)
    }

    static func double(_ value: JSONValue) -> Double? {
        switch value {
        case .integer(let i): Double(i)
        case .number(let d): d
        default: nil
        }
    }

    static func format(_ number: Double) -> String {
        number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
    }
}
