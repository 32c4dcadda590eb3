#if canImport(Glibc)
import Glibc
#endif

/// Whether the address `synclet serve` will listen on can be bound, asked before the
/// storage folder is touched: a port in use refuses the start with nothing created (the
/// listening socket itself is made later, by the server, with the same options).
enum PortCheck {
    /// nil when `host:port` can be bound now, else why not. Blocking (a few syscalls).
    static func problem(host: String, port: Int) -> String? {
        guard port != 0 else { return nil }
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            return "\(host) is not an address this machine can listen on (\(String(cString: gai_strerror(status))))"
        }
        defer { freeaddrinfo(list) }
        let fd = socket(first.pointee.ai_family, first.pointee.ai_socktype, first.pointee.ai_protocol)
        guard fd >= 0 else { return "cannot make a socket (\(String(cString: strerror(errno))))" }
        defer { close(fd) }
        var one: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        guard bind(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0 else {
            let reason = errno == EADDRINUSE ? "it is in use, most likely by another server" : String(cString: strerror(errno))
            return "cannot listen on \(host):\(port): \(reason)"
        }
        return nil
    }
}
