package online

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// ServeHTTP is POST /v1/traces, answering as OTLP/HTTP asks: 200 with the
// export response (and partial_success naming the spans it could not use),
// 400 for a body that does not decode, 401 without a valid token, 403 when
// the export declares another repository than its token's, 413 over the size
// limit, 415 for a media type other than protobuf or JSON. None of these is
// retryable, so exporters do not resend what would fail again. 429 with
// Retry-After when the token's repository sends more than its export rate,
// and 503 while shutting down, are: the exporter waits and sends again.
func (r *Receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "POST OTLP trace exports here", http.StatusMethodNotAllowed)
		return
	}
	bearer, ok := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer ")
	repo, valid := r.tokens.Repo(strings.TrimSpace(bearer))
	if !ok || !valid {
		w.Header().Set("WWW-Authenticate", `Bearer realm="promptgate OTLP"`)
		http.Error(w, "a bearer token from PROMPTGATE_OTLP_TOKENS is required", http.StatusUnauthorized)
		return
	}
	if wait, ok := r.throttle.admit(repo); !ok {
		r.metrics.throttled.WithLabelValues(repo).Inc()
		w.Header().Set("Retry-After", strconv.Itoa(wait))
		http.Error(w, "too many exports for this repository; retry after Retry-After seconds", http.StatusTooManyRequests)
		return
	}
	media := mediaType(req.Header.Get("Content-Type"))
	if media == "" {
		http.Error(w, "Content-Type must be application/x-protobuf or application/json", http.StatusUnsupportedMediaType)
		return
	}
	select {
	case r.inflight <- struct{}{}:
		defer func() { <-r.inflight }()
	case <-req.Context().Done():
		return
	case <-r.stop:
		w.Header().Set("Retry-After", "5")
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	body, err := readBody(req.Body, strings.ToLower(strings.TrimSpace(req.Header.Get("Content-Encoding"))), r.maxBody)
	if errors.Is(err, errTooLarge) {
		http.Error(w, fmt.Sprintf("the export is over %d bytes; lower the exporter's batch size", r.maxBody), http.StatusRequestEntityTooLarge)
		return
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	export, err := Decode(body, media)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if other := foreignRepo(export, repo); other != "" {
		http.Error(w, fmt.Sprintf("the export declares %s=%q, but its token is for another repository", RepoAttribute, other), http.StatusForbidden)
		return
	}
	spans, rejected, why := extract(export)
	samples, unjoined := r.join.add(repo, spans)
	r.take(req.Context(), samples, unjoined)
	resp := &coltrace.ExportTraceServiceResponse{}
	if rejected > 0 {
		r.metrics.rejected.WithLabelValues(repo).Add(float64(rejected))
		resp.PartialSuccess = &coltrace.ExportTracePartialSuccess{RejectedSpans: rejected, ErrorMessage: why}
	}
	var out []byte
	if media == contentJSON {
		out, err = protojson.Marshal(resp)
	} else {
		out, err = proto.Marshal(resp)
	}
	if err != nil {
		http.Error(w, "encode response", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", media)
	_, _ = w.Write(out)
}

// foreignRepo returns the first repository a resource of the export declares
// that is not repo, or "".
func foreignRepo(export *coltrace.ExportTraceServiceRequest, repo string) string {
	for _, rs := range export.GetResourceSpans() {
		if d := stringAttr(rs.GetResource().GetAttributes(), RepoAttribute); d != "" && !strings.EqualFold(d, repo) {
			return d
		}
	}
	return ""
}
