package online

import (
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
)

// FuzzDecodeAndJoin: no export, protobuf or JSON, panics the decoder, the
// span reader or the joiner, and the joiner's bounds hold.
func FuzzDecodeAndJoin(f *testing.F) {
	pb, _ := proto.Marshal(export(repoA, serverSpan(1, 1, "summarize", "stable"), chatSpan(1, 2, 1, `{"a":1}`)))
	f.Add(pb, false)
	f.Add([]byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"00000000000000000000000000000001","spanId":"0000000000000001",`+
		`"attributes":[{"key":"gen_ai.operation.name","value":{"stringValue":"chat"}},{"key":"gen_ai.output.messages","value":{"stringValue":"[{\"parts\":[{\"type\":\"text\",\"content\":\"hi\"}]}]"}}],`+
		`"events":[{"name":"feature_flag.evaluation","attributes":[{"key":"feature_flag.key","value":{"stringValue":"f"}},{"key":"feature_flag.variant","value":{"stringValue":"on"}}]}]}]}]}]}`), true)
	f.Add([]byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz"}]}]}]}`), true)
	f.Fuzz(func(t *testing.T, body []byte, isJSON bool) {
		media := contentProtobuf
		if isJSON {
			media = contentJSON
		}
		req, err := Decode(body, media)
		if err != nil {
			return
		}
		spans, rejected, why := extract(req)
		if rejected > 0 && why == "" {
			t.Fatal("rejected spans without a reason")
		}
		now := time.Unix(0, 0)
		j := newJoiner(time.Second, 4, 1<<10, func() time.Time { return now })
		j.add(repoA, spans)
		now = now.Add(2 * time.Second)
		j.sweep()
		if len(j.traces) != 0 || j.pending != 0 {
			t.Fatalf("after the window: %d traces, %d bytes held", len(j.traces), j.pending)
		}
	})
}
