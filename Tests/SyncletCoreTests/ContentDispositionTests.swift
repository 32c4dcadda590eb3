import SyncletCore
import Testing

@Suite("Content-Disposition carries a safe base name, in ASCII and as RFC 8187 UTF-8")
struct ContentDispositionTests {
    @Test("paths, traversal, trailing separators, quotes, controls and dots are reduced to a safe base name", arguments: [
        ("../../etc/passwd", "passwd"), ("..\\..\\boot.ini", "boot.ini"), ("evil.wav\\", "download"), ("dir/", "download"),
        ("", "download"), ("..", "download"), ("...", "download"), ("a\"b\".wav", "ab.wav"), ("x\r\nSet-Cookie: y", "xSet-Cookie y"),
        ("song;.wav", "song.wav"), (".hidden", "hidden"), ("  spaced .wav ", "spaced .wav"), ("\u{202E}vaw.exe", "vaw.exe"),
    ])
    func safeBaseNames(input: String, expected: String) {
        #expect(ContentDisposition.safeBaseName(input) == expected)
    }

    @Test("a non-ASCII name goes as _ in filename and percent-encoded in filename*")
    func unicodeName() {
        #expect(ContentDisposition.header(filename: "Résumé 1.wav")
                == "attachment; filename=\"R_sum_ 1.wav\"; filename*=UTF-8''R%C3%A9sum%C3%A9%201.wav")
        #expect(ContentDisposition.header("inline", filename: "ast_1-preview.mp3")
                == "inline; filename=\"ast_1-preview.mp3\"; filename*=UTF-8''ast_1-preview.mp3")
    }

    @Test("long names are cut, and no header ever carries a quote, a backslash, CR or LF in its value")
    func neverBreaksTheHeader() {
        #expect(ContentDisposition.safeBaseName(String(repeating: "a", count: 1_000)).count == ContentDisposition.nameCharacterCountMax)
        for text in ["\\", "\"", "\r", "\n", "a\\\"b", "ﬀ\u{0301}", "🎵/🎶"] {
            let header = ContentDisposition.header(filename: text)
            let value = header.split(separator: ";", maxSplits: 1)[1]
            #expect(!value.contains("\\") && !value.contains("\r") && !value.contains("\n"), "\(header)")
            #expect(value.filter { $0 == "\"" }.count == 2, "\(header)")
        }
    }
}
