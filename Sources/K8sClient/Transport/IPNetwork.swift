/// An address range in CIDR notation (`10.0.0.0/8`, `fd00::/8`); a bare address is its own /32 or /128.
public struct IPNetwork: Sendable, Hashable, CustomStringConvertible {
    public let address: IPAddress
    public let prefix: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(String(parts[0])) else { return nil }
        let bits = address.bytes.count * 8
        if parts.count == 1 {
            self.init(address: address, prefix: bits)
            return
        }
        guard parts[1].allSatisfy(\.isASCII), let prefix = Int(parts[1]), (0...bits).contains(prefix) else { return nil }
        self.init(address: address, prefix: prefix)
    }

    public init(address: IPAddress, prefix: Int) {
        self.address = address
        self.prefix = prefix
    }

    public func contains(_ other: IPAddress) -> Bool { other.isIn(address, prefix: prefix) }

    public var description: String { "\(address)/\(prefix)" }
}
