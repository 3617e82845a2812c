package online

import (
	"encoding/hex"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/promptgate/promptgate/internal/testkit"
)

func spansOf(t *testing.T, spans ...*tracepb.Span) []span {
	t.Helper()
	out, rejected, why := extract(export("", spans...))
	if rejected != 0 {
		t.Fatalf("rejected %d: %s", rejected, why)
	}
	return out
}

type got struct{ Flag, Variant, Output string }

func flat(samples []Sample) []got {
	var out []got
	for _, s := range samples {
		out = append(out, got{s.Flag, s.Variant, s.output})
	}
	return out
}

func TestJoinerTakesTheNearestAncestorsEvaluation(t *testing.T) {
	t.Parallel()
	c := testkit.NewClock(time.Unix(1000, 0))
	j := newJoiner(10*time.Second, 100, 1<<20, c.Now)
	// root (flag=canary) → middle (flag=stable, other=on) → chat.
	root := serverSpan(1, 1, "summarize", "canary")
	middle := serverSpan(1, 2, "summarize", "stable")
	middle.ParentSpanId = sid(1)
	middle.Events = append(middle.Events, &tracepb.Span_Event{Name: "feature_flag",
		Attributes: []*commonpb.KeyValue{str("feature_flag.key", "other"), str("feature_flag.variant", "on")}})
	out, _ := j.add(repoA, spansOf(t, chatSpan(1, 3, 2, "answer")))
	if len(out) != 0 {
		t.Fatalf("joined before the ancestors came: %v", flat(out))
	}
	out, _ = j.add(repoA, spansOf(t, middle))
	if diff := cmp.Diff([]got{{"other", "on", "answer"}, {"summarize", "stable", "answer"}}, sortGot(flat(out))); diff != "" {
		t.Errorf("after the middle span (-want +got):\n%s", diff)
	}
	out, _ = j.add(repoA, spansOf(t, root))
	if len(out) != 0 {
		t.Errorf("the root's farther evaluation joined too: %v", flat(out))
	}
	if len(j.traces) != 1 || j.pending != 0 {
		t.Errorf("traces %d, pending bytes %d: want the finished chat's answer released", len(j.traces), j.pending)
	}
	c.Advance(11 * time.Second)
	if out, unjoined := j.sweep(); len(out) != 0 || len(unjoined) != 0 || len(j.traces) != 0 {
		t.Errorf("sweep: %v, %v, %d traces left", flat(out), unjoined, len(j.traces))
	}
}

func sortGot(g []got) []got {
	for i := range g {
		for k := i + 1; k < len(g); k++ {
			if g[k].Flag < g[i].Flag {
				g[i], g[k] = g[k], g[i]
			}
		}
	}
	return g
}

// TestJoinerUsesAFlagSpanBesideTheChat: a SpanHook-style span (feature_flag.*
// attributes on a span of its own) is a sibling, not an ancestor; it joins
// once the chat's ancestry is complete, unless the trace evaluated the flag
// to two variants.
func TestJoinerUsesAFlagSpanBesideTheChat(t *testing.T) {
	t.Parallel()
	c := testkit.NewClock(time.Unix(1000, 0))
	j := newJoiner(10*time.Second, 100, 1<<20, c.Now)
	flagSpan := func(trace, id int, variant string) *tracepb.Span {
		return &tracepb.Span{TraceId: tid(trace), SpanId: sid(id), ParentSpanId: sid(1), Name: "feature_flag",
			Attributes: []*commonpb.KeyValue{str("feature_flag.key", "summarize"), str("feature_flag.result.variant", variant)}}
	}
	root := func(trace int) *tracepb.Span {
		return &tracepb.Span{TraceId: tid(trace), SpanId: sid(1), Name: "POST /answer"}
	}
	out, _ := j.add(repoA, spansOf(t, flagSpan(1, 2, "canary"), chatSpan(1, 3, 1, "a"), root(1)))
	if diff := cmp.Diff([]got{{"summarize", "canary", "a"}}, flat(out)); diff != "" {
		t.Errorf("sibling flag span (-want +got):\n%s", diff)
	}
	out, _ = j.add(repoA, spansOf(t, flagSpan(2, 2, "canary"), flagSpan(2, 4, "stable"), chatSpan(2, 3, 1, "b"), root(2)))
	if len(out) != 0 {
		t.Errorf("two variants in one trace joined: %v", flat(out))
	}
	c.Advance(11 * time.Second)
	out, unjoined := j.sweep()
	if len(out) != 0 || unjoined[repoA] != 1 {
		t.Errorf("after the window: %v, unjoined %v; want the ambiguous chat unjoined", flat(out), unjoined)
	}
}

// TestJoinerWindowAndBounds: a chat span whose ancestors never come is
// settled after the window with what is known; over maxTraces the oldest
// trace is settled early, so memory stays bounded.
func TestJoinerWindowAndBounds(t *testing.T) {
	t.Parallel()
	c := testkit.NewClock(time.Unix(1000, 0))
	j := newJoiner(10*time.Second, 3, 1<<20, c.Now)
	// Trace 0's flag is on its parent, whose own parent lives in another
	// service and never arrives here.
	parent := serverSpan(0, 1, "summarize", "stable")
	parent.ParentSpanId = sid(99)
	// The nearest evaluation is known at once, whatever lies above it.
	out, _ := j.add(repoA, spansOf(t, parent, chatSpan(0, 2, 1, "zero")))
	if diff := cmp.Diff([]got{{"summarize", "stable", "zero"}}, flat(out)); diff != "" {
		t.Errorf("chat under a remote root (-want +got):\n%s", diff)
	}
	for i := 1; i <= 3; i++ {
		// The fourth trace pushes out the oldest, which has nothing left to join.
		if out, unjoined := j.add(repoA, spansOf(t, chatSpan(i, 2, 1, "orphan"))); len(out) != 0 || len(unjoined) != 0 {
			t.Fatalf("trace %d: %v %v", i, flat(out), unjoined)
		}
	}
	if len(j.traces) != 3 {
		t.Errorf("%d traces held, want at most 3", len(j.traces))
	}
	c.Advance(10*time.Second + time.Nanosecond)
	_, unjoined := j.sweep()
	if unjoined[repoA] != 3 || len(j.traces) != 0 || j.pending != 0 || len(j.queue) != 0 {
		t.Errorf("unjoined %v, %d traces, %d bytes, %d queued; want 3 orphans settled and nothing held", unjoined, len(j.traces), j.pending, len(j.queue))
	}
	if id := hex.EncodeToString(tid(0)); len(id) != 32 {
		t.Fatal(id)
	}
}

func TestJoinerKeepsRepositoriesApart(t *testing.T) {
	t.Parallel()
	c := testkit.NewClock(time.Unix(1000, 0))
	j := newJoiner(10*time.Second, 100, 1<<20, c.Now)
	j.add(repoB, spansOf(t, serverSpan(1, 1, "summarize", "canary")))
	out, _ := j.add(repoA, spansOf(t, chatSpan(1, 2, 1, "a")))
	if len(out) != 0 {
		t.Fatalf("repository A's chat joined B's flag: %v", flat(out))
	}
}
