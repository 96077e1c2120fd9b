import Foundation
import K8sClient
import Testing

@Suite struct RawJSONKeepsTemplatesCompact {
    @Test func equalValuesHaveEqualBytesWhateverTheKeyOrder() throws {
        let a = try JSONDecoder().decode(RawJSON.self, from: Data(#"{"b":1,"a":{"y":[1,"x",true,null],"x":2.5}}"#.utf8))
        let b = try JSONDecoder().decode(RawJSON.self, from: Data(#"{"a":{"x":2.5,"y":[1,"x",true,null]},"b":1}"#.utf8))
        #expect(a == b)
        #expect(String(decoding: a.bytes, as: UTF8.self) == #"{"a":{"x":2.5,"y":[1,"x",true,null]},"b":1}"#)
        #expect(a.isObject && !RawJSON(.array([])).isObject)
    }

    @Test func itRoundTripsAndEditsLikeJSONValue() throws {
        var template: RawJSON = ["backoffLimit": 0, "template": ["spec": ["restartPolicy": "Never"]]]
        template["activeDeadlineSeconds"] = 30
        #expect(template.value["activeDeadlineSeconds"] == 30)
        #expect(template["template"]?["spec"]?["restartPolicy"] == "Never")
        let encoded = try JSONEncoder().encode(template)
        #expect(try JSONDecoder().decode(JSONValue.self, from: encoded) == template.value)
        // Integers stay integers (Kubernetes rejects 0.0 for an int32).
        #expect(String(decoding: encoded, as: UTF8.self).contains(#""backoffLimit":0"#))
    }
}
