package online

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// Content types OTLP/HTTP uses.
const (
	contentProtobuf = "application/x-protobuf"
	contentJSON     = "application/json"
)

// errTooLarge means a body, compressed or not, is over the limit.
var errTooLarge = errors.New("request body too large")

// readBody reads at most limit bytes of r, undoing gzip when encoding says so.
// The limit holds after decompression as well, so a small gzip bomb cannot
// grow past it.
func readBody(r io.Reader, encoding string, limit int64) ([]byte, error) {
	raw, err := readLimited(r, limit)
	if err != nil {
		return nil, err
	}
	switch encoding {
	case "", "identity":
		return raw, nil
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("read gzip body: %w", err)
		}
		defer zr.Close()
		out, err := readLimited(zr, limit)
		if err != nil && !errors.Is(err, errTooLarge) {
			return nil, fmt.Errorf("read gzip body: %w", err)
		}
		return out, err
	}
	return nil, fmt.Errorf("unsupported Content-Encoding %q: send gzip or none", encoding)
}

func readLimited(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, errTooLarge
	}
	return b, nil
}

// mediaType returns the OTLP encoding a Content-Type names, or "".
func mediaType(contentType string) string {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return ""
	}
	switch mt {
	case contentProtobuf, contentJSON:
		return mt
	}
	return ""
}

// Decode parses an OTLP/HTTP trace export in the given media type
// (application/x-protobuf or application/json). It is pure, for fuzzing. In
// OTLP/JSON trace and span IDs are hex strings, not protobuf JSON's base64, so
// they are rewritten before protojson reads the document.
func Decode(body []byte, media string) (*coltrace.ExportTraceServiceRequest, error) {
	req := &coltrace.ExportTraceServiceRequest{}
	switch media {
	case contentProtobuf:
		if err := proto.Unmarshal(body, req); err != nil {
			return nil, fmt.Errorf("decode OTLP protobuf: %w", err)
		}
		return req, nil
	case contentJSON:
		fixed, err := hexIDsToBase64(body)
		if err != nil {
			return nil, fmt.Errorf("decode OTLP JSON: %w", err)
		}
		if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(fixed, req); err != nil {
			return nil, fmt.Errorf("decode OTLP JSON: %w", err)
		}
		return req, nil
	}
	return nil, fmt.Errorf("unsupported media type %q", media)
}

// idFields are the OTLP/JSON keys whose values are hex-encoded bytes.
var idFields = map[string]bool{"traceId": true, "spanId": true, "parentSpanId": true,
	"trace_id": true, "span_id": true, "parent_span_id": true}

// hexIDsToBase64 rewrites every ID field of an OTLP/JSON document from hex to
// base64, the form protojson reads bytes in. An empty ID stays empty.
func hexIDsToBase64(body []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("data after the JSON document")
	}
	var walk func(v any, depth int) error
	walk = func(v any, depth int) error {
		if depth > 64 {
			return errors.New("JSON nested too deeply")
		}
		switch t := v.(type) {
		case map[string]any:
			for k, x := range t {
				if s, ok := x.(string); ok && idFields[k] {
					b, err := hex.DecodeString(s)
					if err != nil {
						return fmt.Errorf("%s %q is not hex", k, s)
					}
					t[k] = base64.StdEncoding.EncodeToString(b)
					continue
				}
				if err := walk(x, depth+1); err != nil {
					return err
				}
			}
		case []any:
			for _, x := range t {
				if err := walk(x, depth+1); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := walk(doc, 0); err != nil {
		return nil, err
	}
	return json.Marshal(doc)
}
