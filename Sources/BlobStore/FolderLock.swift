import Glibc
import Synchronization

/// An exclusive hold on a storage folder for the life of one server: `flock(2)` on
/// `<folder>/synclet.lock`, which names the holder's pid.
///
/// A second server on the same folder would sweep files the first has acknowledged but
/// not yet referenced (it once deleted 9 originals of 3,031 assets), and two writers would
/// fight over the database; so the second refuses to start and names the pid that holds
/// the folder. The kernel drops the lock when the holder exits, however it exits (kill -9
/// included), so a stale lock file never blocks a start. Blocking (a file open and fsync):
/// call it from the file pool.
public final class FolderLock: Sendable {
    /// The lock file's path.
    public let path: String
    private let descriptor: Mutex<Int32>

    /// Why a folder could not be locked.
    public enum Failure: Error, CustomStringConvertible {
        /// Another process holds it; `pid` as that process wrote it (nil if unreadable).
        case held(path: String, pid: Int32?)
        case failed(path: String, errno: Int32)

        public var description: String {
            switch self {
            case .held(let path, let pid):
                let holder = pid.map { "process \($0)" } ?? "another process"
                return "\(holder) is already serving this storage folder (it holds \(path)). Stop that server first"
                    + (pid.map { " (kill \($0))" } ?? "") + ", or start this one with another --storage."
            case .failed(let path, let code):
                return "Cannot lock \(path): \(String(cString: strerror(code))). Check the folder's permissions."
            }
        }
    }

    /// Takes the folder or throws `Failure.held` at once (it never waits for the holder).
    public static func acquire(folder: String) throws(Failure) -> FolderLock {
        let path = folder + "/synclet.lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .failed(path: path, errno: errno) }
        var result: Int32
        repeat { result = flock(fd, LOCK_EX | LOCK_NB) } while result != 0 && errno == EINTR
        guard result == 0 else {
            let code = errno
            let holder = Self.readPID(fd)
            close(fd)
            if code == EWOULDBLOCK { throw .held(path: path, pid: holder) }
            throw .failed(path: path, errno: code)
        }
        // The pid is for the message above and for the operator; the lock itself is the flock.
        let text = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = text.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        _ = fsync(fd)
        return FolderLock(path: path, descriptor: fd)
    }

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = Mutex(descriptor)
    }

    /// Lets the folder go (a server stopped in a process that goes on, as tests do).
    /// The pid stays in the file: only the flock says who holds the folder.
    public func release() {
        descriptor.withLock { fd in
            guard fd >= 0 else { return }
            close(fd)  // closing the only descriptor of the open file drops the flock
            fd = -1
        }
    }

    deinit { release() }

    private static func readPID(_ fd: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        let text = String(decoding: buffer[..<count], as: UTF8.self).split(separator: "\n").first ?? ""
        return Int32(text)
    }
}
