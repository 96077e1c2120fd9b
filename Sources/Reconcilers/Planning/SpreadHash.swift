/// A value in a small range chosen by a hash of a seed, for spreading (`H` fields, jitter).
/// FNV-1a alone will not do: its low bits depend only on the low bits of the input, so two
/// seeds that differ in one character (`…/0` and `…/1`, a ScheduledJob's second and minute)
/// gave related values modulo 4 and 60, and 10,000 `H H/4 * * * *` schedules shared only 109 of
/// a cycle's 240 seconds. MurmurHash3's 64-bit finalizer mixes every input bit into every
/// output bit. (Run names keep plain FNV-1a: changing it would rename runs.)
enum SpreadHash {
    static func value(_ seed: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in seed.utf8 {
            h ^= UInt64(b)
            h = h &* 0x100_0000_01b3
        }
        h ^= h >> 33
        h = h &* 0xff51_afd7_ed55_8ccd
        h ^= h >> 33
        h = h &* 0xc4ce_b9fe_1a85_ec53
        h ^= h >> 33
        return h
    }

    /// A value in `0..<count` (`count` ≥ 1).
    static func pick(_ seed: String, below count: Int) -> Int {
        Int(value(seed) % UInt64(max(1, count)))
    }
}
