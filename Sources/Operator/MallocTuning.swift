import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// glibc's allocator, tuned for one long-lived process whose memory is a large cache filled at
/// start-up. Looked up at run time: without glibc (or these functions) nothing changes.
enum MallocTuning {
    /// At most `count` malloc arenas instead of glibc's eight per core: with 16 workers the
    /// cache was spread over many half-empty arenas (measured: RSS -6 MiB of 125 MiB with
    /// 10,000 ScheduledJobs and 20,000 Jobs cached). Call before the work starts.
    static func limitArenas(to count: Int32 = 2) {
        typealias MallOpt = @convention(c) (Int32, Int32) -> Int32
        let mArenaMax: Int32 = -8  // M_ARENA_MAX in malloc.h
        if let f = symbol("mallopt", as: MallOpt.self) { _ = f(mArenaMax, count) }
    }

    /// Gives the kernel back the free pages left between live objects once the initial lists
    /// are decoded and dropped (their transient objects are most of the start-up peak).
    static func releaseFreeMemory() {
        typealias MallocTrim = @convention(c) (Int) -> Int32
        if let f = symbol("malloc_trim", as: MallocTrim.self) { _ = f(0) }
    }

    private static func symbol<F>(_ name: String, as type: F.Type) -> F? {
        #if canImport(Glibc)
        guard let pointer = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { return nil }
        return unsafeBitCast(pointer, to: type)
        #else
        return nil
        #endif
    }
}
