internal import CLibrdkafka

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// librdkafka functions newer than the headers this package is built with, looked up by name in the librdkafka
/// loaded at run time.
///
/// The package compiles against whatever `librdkafka-dev` the system has (Debian 12: 2.0.2) and links only what
/// those headers declare, so it loads on every version from 2.0.2 on. A function added later is called through a
/// pointer found here, and what needs it is reported as a ``Librdkafka/Capability`` (`nil` here: not available).
package enum RuntimeSymbols {
    /// Looks `name` up in the process's global symbol scope, where the librdkafka this process linked is.
    package static func address(of name: String) -> UnsafeMutableRawPointer? {
        // dlopen(NULL) is the program itself; dlsym on it searches the program and the libraries it loaded.
        guard let program = dlopen(nil, RTLD_LAZY) else { return nil }
        defer { dlclose(program) }
        return dlsym(program, name)
    }

    /// Looks up `name` and types it as `T`, a `@convention(c)` function type matching its C declaration.
    package static func function<T>(_ name: String, as type: T.Type) -> T? {
        guard let address = address(of: name) else { return nil }
        return unsafeBitCast(address, to: type)
    }
}
