extension Librdkafka {
    /// A librdkafka version, ordered as versions are (`2.0.2 < 2.3.0 < 2.16.0`).
    public struct Version: Hashable, Comparable, Sendable, CustomStringConvertible {
        /// librdkafka's encoding: `0xMMmmrrpp` (major, minor, revision, pre-release; `0xff` for a release).
        public let rawValue: Int

        /// A version from librdkafka's `0xMMmmrrpp` encoding, as `rd_kafka_version()` returns it.
        public init(rawValue: Int) {
            self.rawValue = rawValue
        }

        /// The release `major.minor.patch`.
        public init(_ major: Int, _ minor: Int, _ patch: Int) {
            self.rawValue = (major & 0xff) << 24 | (minor & 0xff) << 16 | (patch & 0xff) << 8 | 0xff
        }

        /// The major version (`2` in 2.16.0).
        public var major: Int { (rawValue >> 24) & 0xff }
        /// The minor version (`16` in 2.16.0).
        public var minor: Int { (rawValue >> 16) & 0xff }
        /// The patch version (`0` in 2.16.0).
        public var patch: Int { (rawValue >> 8) & 0xff }
        /// Whether this is a pre-release (its low byte is not `0xff`).
        public var isPreRelease: Bool { rawValue & 0xff != 0xff }

        /// `major.minor.patch`, with `-preN` for a pre-release.
        public var description: String {
            let base = "\(major).\(minor).\(patch)"
            return isPreRelease ? "\(base)-pre\(rawValue & 0xff)" : base
        }

        public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
    }
}
