/// An International Standard Recording Code: country (2 letters), registrant (3 letters
/// or digits), year (2 digits), designation (5 digits). Accepts the hyphenated form and
/// lower case; stores the 12-character upper-case form.
public struct ISRC: Hashable, Sendable, CustomStringConvertible {
    public let code: String

    public init?(parsing text: String) {
        let compact = text.trimmingWhitespace().replacingHyphens().uppercased()
        let characters = Array(compact)
        guard characters.count == 12 else { return nil }
        let isLetter: (Character) -> Bool = { $0.isASCII && $0.isLetter }
        let isDigit: (Character) -> Bool = { $0.isASCII && $0.isNumber }
        guard characters[0..<2].allSatisfy(isLetter),
              characters[2..<5].allSatisfy({ isLetter($0) || isDigit($0) }),
              characters[5..<12].allSatisfy(isDigit)
        else { return nil }
        self.code = compact
    }

    /// The display form, e.g. `US-RC1-76-07839`.
    public var hyphenated: String {
        let c = Array(code)
        return "\(String(c[0..<2]))-\(String(c[2..<5]))-\(String(c[5..<7]))-\(String(c[7..<12]))"
    }

    public var description: String { code }
}

extension StringProtocol {
    fileprivate func replacingHyphens() -> String { String(self.filter { $0 != "-" }) }
}
