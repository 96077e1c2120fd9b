import Foundation

/// The members of a JSON object and the elements of an array, found without parsing the values:
/// nesting is only counted, never recursed into, so there is no depth limit. This tells one
/// object that JSONDecoder refuses (nested deeper than its 512 levels, a number that fits no
/// integer type) apart from the rest of a list page or a watch event.
enum ShallowJSON {
    private static let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")
    private static let openers: Set<UInt8> = [UInt8(ascii: "{"), UInt8(ascii: "[")]
    private static let closers: Set<UInt8> = [UInt8(ascii: "}"), UInt8(ascii: "]")]

    static func skipSpace(_ b: [UInt8], _ i: Int, _ end: Int) -> Int {
        var i = i
        while i < end, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 }
        return i
    }

    /// The index just past the string whose opening quote is at `i`.
    static func endOfString(_ b: [UInt8], _ i: Int, _ end: Int) -> Int? {
        var i = i + 1
        while i < end {
            if b[i] == backslash { i += 2; continue }
            if b[i] == quote { return i + 1 }
            i += 1
        }
        return nil
    }

    /// The index just past the value that starts at `i` (after any whitespace).
    static func endOfValue(_ b: [UInt8], _ i: Int, _ end: Int) -> Int? {
        var i = skipSpace(b, i, end)
        guard i < end else { return nil }
        if b[i] == quote { return endOfString(b, i, end) }
        if openers.contains(b[i]) {
            var depth = 0
            while i < end {
                let c = b[i]
                if c == quote {
                    guard let after = endOfString(b, i, end) else { return nil }
                    i = after
                    continue
                }
                if openers.contains(c) { depth += 1 } else if closers.contains(c) {
                    depth -= 1
                    if depth == 0 { return i + 1 }
                }
                i += 1
            }
            return nil
        }
        // A number, true, false or null.
        let start = i
        while i < end, !closers.contains(b[i]), b[i] != UInt8(ascii: ","), b[i] > 0x20 { i += 1 }
        return i > start ? i : nil
    }

    /// The range of the one value `b` holds, with nothing but whitespace around it.
    static func document(_ b: [UInt8]) -> Range<Int>? {
        let start = skipSpace(b, 0, b.count)
        guard let end = endOfValue(b, start, b.count), skipSpace(b, end, b.count) == b.count else { return nil }
        return start..<end
    }

    /// Walks the object or array that `open` starts at the beginning of `range`: `entry` is
    /// called at the start of each member or element and answers the index just past it (nil:
    /// malformed). Returns whether the container was well-formed up to its closing bracket.
    private static func walk(_ b: [UInt8], _ range: Range<Int>, open: UInt8, close: UInt8, _ entry: (Int) -> Int?) -> Bool {
        var i = skipSpace(b, range.lowerBound, range.upperBound)
        guard i < range.upperBound, b[i] == open else { return false }
        i += 1
        var first = true
        while true {
            i = skipSpace(b, i, range.upperBound)
            guard i < range.upperBound else { return false }
            if b[i] == close { return true }
            if !first {
                guard b[i] == UInt8(ascii: ",") else { return false }
                i = skipSpace(b, i + 1, range.upperBound)
            }
            guard let end = entry(i) else { return false }
            first = false
            i = end
        }
    }

    /// The members of the object spanning `range`, in order (nil: not an object).
    static func members(_ b: [UInt8], _ range: Range<Int>) -> [(key: String, value: Range<Int>)]? {
        var out: [(key: String, value: Range<Int>)] = []
        let ok = walk(b, range, open: UInt8(ascii: "{"), close: UInt8(ascii: "}")) { i in
            guard i < range.upperBound, b[i] == quote, let keyEnd = endOfString(b, i, range.upperBound),
                  let key = try? JSONDecoder().decode(String.self, from: Data(b[i..<keyEnd])) else { return nil }
            let colon = skipSpace(b, keyEnd, range.upperBound)
            guard colon < range.upperBound, b[colon] == UInt8(ascii: ":") else { return nil }
            let valueStart = skipSpace(b, colon + 1, range.upperBound)
            guard let valueEnd = endOfValue(b, valueStart, range.upperBound) else { return nil }
            out.append((key, valueStart..<valueEnd))
            return valueEnd
        }
        return ok ? out : nil
    }

    /// The elements of the array spanning `range` (nil: not an array).
    static func elements(_ b: [UInt8], _ range: Range<Int>) -> [Range<Int>]? {
        var out: [Range<Int>] = []
        let ok = walk(b, range, open: UInt8(ascii: "["), close: UInt8(ascii: "]")) { i in
            guard let end = endOfValue(b, i, range.upperBound) else { return nil }
            out.append(i..<end)
            return end
        }
        return ok ? out : nil
    }

    /// How deeply the value spanning `range` nests (a scalar: 0).
    static func depth(_ b: [UInt8], _ range: Range<Int>) -> Int {
        var i = range.lowerBound, depth = 0, deepest = 0
        while i < range.upperBound {
            let c = b[i]
            if c == quote {
                guard let after = endOfString(b, i, range.upperBound) else { break }
                i = after
                continue
            }
            if openers.contains(c) {
                depth += 1
                deepest = max(deepest, depth)
            } else if closers.contains(c) {
                depth -= 1
            }
            i += 1
        }
        return deepest
    }

    static func member(_ key: String, of members: [(key: String, value: Range<Int>)]) -> Range<Int>? {
        members.first { $0.key == key }?.value
    }
}
