/// The few pieces of Go's `strings`/`strconv` behaviour that robfig's parser
/// relies on. Swift's own helpers compare grapheme clusters with canonical
/// equivalence and use a different notion of whitespace, which would make us
/// accept or reject slightly different inputs than robfig.
enum GoStrings {
    /// Go's `unicode.IsSpace`.
    static func isSpace(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x09...0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A,
             0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            true
        default:
            false
        }
    }

    /// Go's `strings.Fields`.
    static func fields(_ text: String) -> [String] {
        text.unicodeScalars
            .split(omittingEmptySubsequences: true, whereSeparator: isSpace)
            .map { String(String.UnicodeScalarView($0)) }
    }

    /// Go's `strings.Split` on a single ASCII separator (empty pieces kept).
    static func split(_ text: String, on separator: Unicode.Scalar) -> [String] {
        text.unicodeScalars
            .split(separator: separator, omittingEmptySubsequences: false)
            .map { String(String.UnicodeScalarView($0)) }
    }

    /// Go's `strings.FieldsFunc` on a single separator (empty pieces dropped).
    static func fields(_ text: String, separatedBy separator: Unicode.Scalar) -> [String] {
        text.unicodeScalars
            .split(separator: separator, omittingEmptySubsequences: true)
            .map { String(String.UnicodeScalarView($0)) }
    }

    /// Go's `strings.ToLower`, restricted to what can matter when the result is
    /// compared with ASCII names: Go also folds U+0130 (İ) to `i` and the Kelvin
    /// sign to `k`, so "FRİ" is a valid weekday for robfig.
    static func asciiLowercased(_ text: String) -> String? {
        var out = ""
        for s in text.unicodeScalars {
            switch s.value {
            case 0x41...0x5A: out.unicodeScalars.append(Unicode.Scalar(s.value + 0x20)!)
            case 0x130: out.append("i")
            case 0x212A: out.append("k")
            case 0...0x7F: out.unicodeScalars.append(s)
            default: return nil
            }
        }
        return out
    }

    /// Go's `strconv.Atoi`: optional sign, ASCII digits, must fit in Int64.
    static func atoi(_ text: String) -> Int64? {
        // Swift's parser matches Atoi's grammar (sign, then at least one
        // ASCII digit) as long as it is fed the raw scalars.
        guard text.unicodeScalars.allSatisfy({ $0.isASCII }) else { return nil }
        return Int64(text, radix: 10)
    }

    /// Byte-wise equality, as Go compares strings.
    static func same(_ a: String, _ b: String) -> Bool {
        a.utf8.elementsEqual(b.utf8)
    }

    /// Byte-wise prefix test, as Go's `strings.HasPrefix`.
    static func hasPrefix(_ text: String, _ prefix: String) -> Bool {
        text.utf8.starts(with: prefix.utf8)
    }
}
