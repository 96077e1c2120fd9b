import Foundation

/// A JSON value (as `JSONSerialization` reads it) written as a Lua table constructor, so a Lua
/// script (Argo CD's health checks and actions) can be run on a real object without a JSON
/// library on the Lua side. JSON null has no Lua value: the key is left out, as gopher-lua's
/// conversion in Argo CD does.
public enum LuaLiteral {
    public static func of(_ value: Any) -> String {
        switch value {
        case let s as String: return quoted(s)
        case let n as NSNumber:
            // JSONSerialization's booleans are the only NSNumbers of type char.
            if String(cString: n.objCType) == "c" { return n.boolValue ? "true" : "false" }
            return n.stringValue
        case let a as [Any]: return "{" + a.map(of).joined(separator: ", ") + "}"
        case let d as [String: Any]:
            return "{" + d.keys.sorted().compactMap { k in d[k] is NSNull ? nil : "[\(quoted(k))] = \(of(d[k]!))" }.joined(separator: ", ") + "}"
        default: return "nil"
        }
    }

    static func quoted(_ s: String) -> String {
        var out = "\""
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): out += "\\\\"
            case UInt8(ascii: "\""): out += "\\\""
            case 0..<32, 127...: out += "\\" + String(byte)  // decimal escapes: Lua 5.1 has no \x
            default: out.unicodeScalars.append(Unicode.Scalar(byte))
            }
        }
        return out + "\""
    }
}
