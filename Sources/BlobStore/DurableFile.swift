#if canImport(Glibc)
import Glibc
#endif
import SyncletCore

/// Thin, honest wrappers over POSIX file calls: every write is complete or throws, and
/// "durable" means fsync on the file and on the directory that names it.
public enum DurableFile {
    /// An error from the file system, with the call and path for the logs (never shown to
    /// clients: the server maps it to a 500 problem without the path).
    public struct IOError: Error, CustomStringConvertible {
        public let call: String
        public let path: String
        public let code: Int32
        public var description: String { "\(call)(\(path)) failed: \(String(cString: strerror(code)))" }
        public init(call: String, path: String, code: Int32) {
            self.call = call
            self.path = path
            self.code = code
        }
        /// The file system is full (or the quota is): the caller's 507, not a 500.
        public var isOutOfSpace: Bool { code == ENOSPC || code == EDQUOT }
    }

    static func check(_ result: Int32, _ call: String, _ path: String) throws(IOError) {
        if result < 0 { throw IOError(call: call, path: path, code: errno) }
    }

    /// Opens for appending, creating with 0600 when missing.
    public static func openForAppend(_ path: String) throws(IOError) -> Int32 {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        try check(fd, "open", path)
        return fd
    }

    /// Creates a new file that must not exist yet, 0600.
    public static func create(_ path: String) throws(IOError) -> Int32 {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        try check(fd, "open", path)
        return fd
    }

    public static func openForReading(_ path: String) throws(IOError) -> Int32 {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        try check(fd, "open", path)
        return fd
    }

    /// Writes all of `bytes`, retrying short writes and interruptions.
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws(IOError) {
        var offset = 0
        while offset < bytes.count {
            let written = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw IOError(call: "write", path: path, code: errno)
            }
            offset += written
        }
    }

    public static func sync(_ fd: Int32, path: String) throws(IOError) {
        try check(fsync(fd), "fsync", path)
    }

    /// fsyncs a directory so that a rename or a new name inside it survives a crash.
    public static func syncDirectory(_ path: String) throws(IOError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        try check(fd, "open", path)
        defer { close(fd) }
        try check(fsync(fd), "fsync", path)
    }

    /// Atomically replaces `destination` with `source` (same file system).
    public static func rename(_ source: String, to destination: String) throws(IOError) {
        try check(Glibc.rename(source, destination), "rename", destination)
    }

    /// A second name for a file (a hard link): both names reach the same bytes, and the
    /// file lives until the last name goes. Fails if `destination` exists.
    public static func link(_ source: String, to destination: String) throws(IOError) {
        try check(Glibc.link(source, destination), "link", destination)
    }

    /// Size in bytes, or `nil` when the file does not exist.
    public static func size(_ path: String) -> Int64? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Int64(info.st_size)
    }

    public static func truncate(_ path: String, to length: Int64) throws(IOError) {
        try check(Glibc.truncate(path, off_t(length)), "truncate", path)
    }

    /// Removes a file; a missing file is not an error.
    public static func remove(_ path: String) {
        _ = unlink(path)
    }

    /// Creates a directory and its parents, 0700.
    public static func makeDirectories(_ path: String) throws(IOError) {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            if mkdir(current, 0o700) != 0 && errno != EEXIST {
                throw IOError(call: "mkdir", path: current, code: errno)
            }
        }
    }

    /// Creates a directory and its parents, 0700, and returns the ones this call made
    /// (not those that existed, or that another process made meanwhile), outermost first,
    /// and whether `path` itself was one of them.
    public static func makeDirectoriesReportingCreated(_ path: String) throws(IOError) -> (made: [String], madeItself: Bool) {
        var current = path.hasPrefix("/") ? "" : "."
        var made = [String]()
        var madeItself = false
        for component in path.split(separator: "/") {
            current += "/" + component
            if mkdir(current, 0o700) == 0 {
                made.append(current)
                madeItself = true
            } else if errno != EEXIST {
                throw IOError(call: "mkdir", path: current, code: errno)
            } else {
                madeItself = false
            }
        }
        return (made, madeItself)
    }

    /// Removes a folder this process made and everything in it (links are removed, never
    /// followed). Only for a tree proved to be this process's own; errors are ignored.
    public static func removeTree(_ path: String) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            for name in list(path) { removeTree("\(path)/\(name)") }
            _ = rmdir(path)
        } else {
            _ = unlink(path)
        }
    }

    /// Names in a directory, without "." and "..".
    public static func list(_ path: String) -> [String] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var names = [String]()
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Writes a small file atomically: temp file, fsync, rename, fsync directory.
    public static func writeAtomically(_ bytes: [UInt8], to path: String, mode: mode_t = 0o600) throws {
        let temp = path + ".tmp-\(getpid())"
        remove(temp)
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        try check(fd, "open", temp)
        do {
            try bytes.withUnsafeBytes { buffer in try writeAll(fd, buffer, path: temp) }
            try sync(fd, path: temp)
        } catch {
            close(fd)
            remove(temp)
            throw error
        }
        close(fd)
        try rename(temp, to: path)
        try syncDirectory(parent(of: path))
    }

    /// Reads a small file whole.
    public static func read(_ path: String) throws(IOError) -> [UInt8] {
        let fd = try openForReading(path)
        defer { close(fd) }
        var result = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = Glibc.read(fd, &buffer, buffer.count)
            if count < 0 {
                if errno == EINTR { continue }
                throw IOError(call: "read", path: path, code: errno)
            }
            if count == 0 { break }
            result.append(contentsOf: buffer[0..<count])
        }
        return result
    }

    /// Bytes an unprivileged writer may still add to the file system holding `path`, or nil
    /// if it cannot be asked.
    public static func availableBytes(_ path: String) -> Int64? {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return nil }
        let (bytes, overflow) = Int64(clamping: info.f_bavail).multipliedReportingOverflow(by: Int64(clamping: info.f_frsize))
        return overflow ? Int64.max : bytes
    }

    /// Permission bits of a file (for the 0600 key-file checks).
    public static func mode(_ path: String) -> mode_t? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return info.st_mode & 0o777
    }

    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}
