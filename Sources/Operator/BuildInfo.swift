/// What `sked version` reports. `scripts/stamp-build-info.sh` fills in the commit and date
/// for release builds; a plain `swift build`/`swift run` keeps the fallbacks.
enum BuildInfo {
    static let version = "0.1.0"
    static let commit = "unknown"
    static let buildDate = "unknown"
    static var swiftVersion: String {
        #if swift(>=6.4)
        return "6.4+"
        #elseif swift(>=6.3)
        return "6.3"
        #elseif swift(>=6.2)
        return "6.2"
        #elseif swift(>=6.1)
        return "6.1"
        #else
        return "6.0"
        #endif
    }
}
