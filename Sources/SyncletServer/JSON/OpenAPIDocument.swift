import Foundation
import SyncletCore

/// The API document served at `/openapi.json`, loaded once from the bundle. Request bodies
/// are validated against its schemas, so what the document says is what the server does.
public struct OpenAPIDocument: Sendable {
    /// The document's bytes, served as they are.
    public let bytes: [UInt8]
    let validator: SchemaValidator
    let root: JSONValue

    public static let shared: OpenAPIDocument = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json"),
              let data = try? Data(contentsOf: url)
        else { fatalError("openapi.json is missing from the SyncletServer bundle") }
        do {
            return try OpenAPIDocument(data: data)
        } catch {
            fatalError("openapi.json does not parse: \(error)")
        }
    }()

    init(data: Data) throws {
        let root = try JSONParser.parse(data)
        guard case .object(let top) = root, case .object(let components)? = top["components"],
              case .object(let schemas)? = components["schemas"]
        else { throw Problem.badRequest("openapi.json has no components.schemas") }
        self.bytes = Array(data)
        self.root = root
        self.validator = SchemaValidator(schemas: schemas)
    }

    /// Validates `value` against `components.schemas[name]`.
    func validate(_ value: JSONValue, schema name: String) throws(Problem) {
        try validator.validate(value, against: .object(["$ref": .string("#/components/schemas/\(name)")]))
    }

    /// Every documented operation as "METHOD /path/{param}", for the router-agreement test.
    public var operations: Set<String> {
        guard case .object(let top) = root, case .object(let paths)? = top["paths"] else { return [] }
        var result = Set<String>()
        for (path, item) in paths {
            guard case .object(let methods) = item else { continue }
            for method in methods.keys where ["get", "put", "post", "patch", "delete", "head", "options"].contains(method) {
                result.insert("\(method.uppercased()) \(path)")
            }
        }
        return result
    }

    /// Every schema name, to check that each is well-formed.
    public var schemaNames: [String] { validator.schemas.keys.sorted() }
}
